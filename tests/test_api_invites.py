"""HTTP: invites, answers, pending count and favorites."""

from __future__ import annotations

import hashlib

from .test_api_support import api, conforms, error_of  # noqa: F401  (fixture)


def avatar(email: str) -> str:
    return "https://seccdn.libravatar.org/avatar/" + hashlib.md5(email.encode()).hexdigest()


def registered(api, who: str, role: str = "user", status: str = "pending") -> dict:
    return {"profile": {"kind": "registered", **api.profile(who), "role": role}, "status": status}


def email_invitee(address: str, status: str = "pending") -> dict:
    return {"profile": {"kind": "email", "email": address, "avatar_url": avatar(address)}, "status": status}


def test_post_invites_201_then_204_and_the_list(api):
    ev = api.weekly()
    url = f"/v1/events/{ev['id']}/invites"
    r = api.call("POST", url, json={"invitee": api.ids["bob"], "role": "moderator"})
    assert (r.status_code, r.content) == (201, b"")
    assert api.call("POST", url, json={"invitee": api.ids["bob"]}).status_code == 204  # already invited
    assert api.call("POST", url, json={"invitee": api.ids["alice"]}).status_code == 204  # the creator
    assert api.call("POST", url, json={"email": "Dana@Example.net"}).status_code == 201
    assert api.call("POST", url, json={"email": "dana@example.net", "role": "moderator"}).status_code == 204
    # an address of a registered user becomes a user invite (guest -> user)
    assert api.call("POST", url, json={"email": "carol@example.org"}).status_code == 201
    r = api.call("GET", url)
    assert r.status_code == 200
    body = r.json()
    conforms("invitees", body)
    assert sorted(body, key=lambda i: i["profile"]["email"]) == [
        registered(api, "bob", "moderator"), registered(api, "carol"), email_invitee("dana@example.net"),
    ]
    assert r.headers["x-total-count"] == "3"
    assert r.headers["link"] == (
        '<http://testserver/v1/events/{id}/invites?page=1&per_page=30>; rel="first", '
        '<http://testserver/v1/events/{id}/invites?page=1&per_page=30>; rel="last"'
    ).format(id=ev["id"])
    assert api.call("GET", f"/v1/events/{ev['id']}").headers["etag"] == '"3"'


def test_post_invite_errors(api):
    ev = api.weekly()
    url = f"/v1/events/{ev['id']}/invites"
    err = error_of(api.call("POST", url, json={"email": "not-an-address"}), 422, "validation_failed")
    assert [(e["field"], e["code"]) for e in err["validation_errors"]] == [("email", "invalid_email")]
    err = error_of(api.call("POST", url, json={"invitee": api.ids["bob"], "role": "guest"}), 422, "validation_failed")
    assert [(e["field"], e["code"]) for e in err["validation_errors"]] == [("role", "invalid_role")]
    error_of(api.call("POST", url, json={"invitee": "00000000-0000-4000-8000-000000000000"}), 404, "not_found")
    error_of(api.call("POST", url, json={"invitee": "not-a-uuid"}), 400, "invalid_json")
    err = error_of(api.call("POST", url, json={"role": "user"}), 400, "invalid_json")
    assert err["message"] == "body: give invitee (a user id) or email"
    error_of(api.call("POST", url, json=[]), 400, "invalid_json")
    # both an invitee and an email: refused (the email used to be dropped silently, 204/201)
    for body in ({"invitee": api.ids["bob"], "email": "guest@example.net"},
                 {"invitee": api.ids["alice"], "email": "guest@example.net", "role": "moderator"}):
        err = error_of(api.call("POST", url, json=body), 400, "invalid_json")
        assert err["message"] == "body: give either invitee or email, not both"
    assert api.call("GET", url).json() == [] and api.call("GET", f"/v1/events/{ev['id']}").headers["etag"] == '"0"'
    api.invite(ev["id"], "bob")
    error_of(api.call("POST", url, "bob", json={"email": "x@example.net"}), 403, "forbidden")
    error_of(api.call("POST", url, "carol", json={"email": "x@example.net"}), 404, "not_found")


def test_invite_list_page_paging_and_status_filter(api):
    ev = api.weekly()
    url = f"/v1/events/{ev['id']}/invites"
    for n in range(5):
        api.call("POST", url, json={"email": f"p{n}@example.net"})
    api.invite(ev["id"], "bob")
    assert api.call("PATCH", f"/v1/events/{ev['id']}/invite", "bob").status_code == 204
    r = api.call("GET", url + "?page=2&per_page=2")
    assert r.status_code == 200 and len(r.json()) == 2
    base = f"http://testserver/v1/events/{ev['id']}/invites"
    assert r.headers["link"] == ", ".join([
        f'<{base}?page=1&per_page=2>; rel="first"', f'<{base}?page=1&per_page=2>; rel="prev"',
        f'<{base}?page=3&per_page=2>; rel="next"', f'<{base}?page=3&per_page=2>; rel="last"',
    ])
    pages = [api.call("GET", url + f"?page={p}&per_page=2").json() for p in (1, 2, 3)]
    assert sum(len(p) for p in pages) == 6
    assert api.call("GET", url + "?page=9&per_page=2").json() == []
    r = api.call("GET", url + "?status=accepted")
    assert r.json() == [registered(api, "bob", status="accepted")]
    assert r.headers["x-total-count"] == "1"
    assert len(api.call("GET", url + "?status=pending").json()) == 5
    assert api.call("GET", url, "bob").status_code == 200  # invitees read the list
    error_of(api.call("GET", url, "carol"), 404, "not_found")
    for q in ("page=0", "per_page=0", "per_page=101", "status=maybe", "page=x"):
        error_of(api.call("GET", url + "?" + q), 400, "bad_request")


def test_patch_and_delete_user_and_email_invites(api):
    ev = api.weekly()
    api.invite(ev["id"], "bob")
    api.call("POST", f"/v1/events/{ev['id']}/invites", json={"email": "dana@example.net"})
    base = f"/v1/events/{ev['id']}/invites"
    r = api.call("PATCH", f"{base}/{api.ids['bob']}", json={"role": "moderator"})
    assert (r.status_code, r.content) == (204, b"")
    r = api.call("PATCH", f"{base}/email", json={"email": "DANA@example.net", "role": "moderator"})
    assert r.status_code == 204
    assert sorted(api.call("GET", base).json(), key=lambda i: i["profile"]["email"]) == [
        registered(api, "bob", "moderator"), email_invitee("dana@example.net"),
    ]
    err = error_of(api.call("PATCH", f"{base}/{api.ids['bob']}", json={"role": "guest"}), 422, "validation_failed")
    assert err["validation_errors"][0]["code"] == "invalid_role"
    error_of(api.call("PATCH", f"{base}/{api.ids['bob']}", json={}), 400, "invalid_json")
    error_of(api.call("PATCH", f"{base}/{api.ids['carol']}", json={"role": "user"}), 404, "not_found")
    error_of(api.call("PATCH", f"{base}/not-a-uuid", json={"role": "user"}), 404, "not_found")
    error_of(api.call("PATCH", f"{base}/email", json={"email": "nobody@example.net", "role": "guest"}), 404, "not_found")
    # role is optional: {email} alone changes nothing but still checks the invite and the caller
    assert api.call("PATCH", f"{base}/email", json={"email": "dana@example.net"}).status_code == 204
    # ... but role: null is a wrong type, like every null but password: null
    err = error_of(api.call("PATCH", f"{base}/email", json={"email": "dana@example.net", "role": None}),
                   400, "invalid_json")
    assert err["message"].startswith("role: ")
    for body in ({"email": "erin@example.net", "role": None}, {"invitee": None}, {"email": None}):
        assert error_of(api.call("POST", base, json=body), 400, "invalid_json")["message"].split(":")[0] in body
    error_of(api.call("PATCH", f"{base}/email", json={"email": "nobody@example.net"}), 404, "not_found")
    error_of(api.call("PATCH", f"{base}/email", "bob", json={"email": "dana@example.net"}), 403, "forbidden")
    assert api.call("GET", f"/v1/events/{ev['id']}").headers["etag"] == '"4"'  # two invites, two role changes
    error_of(api.call("PATCH", f"{base}/{api.ids['bob']}", "bob", json={"role": "user"}), 403, "forbidden")

    r = api.client.request("DELETE", f"{base}/email", json={"email": "dana@example.net"}, headers=api.headers["alice"])
    assert r.status_code == 204
    error_of(api.client.request("DELETE", f"{base}/email", json={"email": "dana@example.net"},
                                headers=api.headers["alice"]), 404, "not_found")
    error_of(api.call("DELETE", f"{base}/email"), 400, "invalid_json")
    assert api.call("DELETE", f"{base}/{api.ids['bob']}").status_code == 204
    error_of(api.call("DELETE", f"{base}/{api.ids['bob']}"), 404, "not_found")
    assert api.call("GET", base).json() == []
    error_of(api.call("GET", f"/v1/events/{ev['id']}", "bob"), 404, "not_found")  # bob no longer sees it


def test_accept_tentative_decline_and_pending_count(api):
    ev = api.weekly()
    other = api.single()
    api.invite(ev["id"], "bob")
    api.invite(other["id"], "bob")
    assert api.call("GET", "/v1/users/me/pending_invites", "bob").json() == {"total_pending_invites": 2}
    url = f"/v1/events/{ev['id']}/invite"
    assert api.call("PATCH", url, "bob").status_code == 204
    assert api.call("GET", f"/v1/events/{ev['id']}", "bob").json()["invite_status"] == "accepted"
    assert api.call("PATCH", url, "bob", json={"status": "tentative"}).status_code == 204
    assert api.call("GET", f"/v1/events/{ev['id']}", "bob").json()["invite_status"] == "tentative"
    assert api.call("DELETE", url, "bob").status_code == 204
    body = api.call("GET", f"/v1/events/{ev['id']}", "bob").json()
    assert body["invite_status"] == "declined"  # the invite stays
    assert api.call("GET", "/v1/users/me/pending_invites", "bob").json() == {"total_pending_invites": 1}
    # answers change neither revision nor updated_at
    assert api.call("GET", f"/v1/events/{ev['id']}").headers["etag"] == '"1"'
    error_of(api.call("PATCH", url, "bob", json={"status": "declined"}), 400, "invalid_json")
    error_of(api.call("PATCH", url, "bob", json={"status": 3}), 400, "invalid_json")
    error_of(api.call("PATCH", url), 403, "forbidden")  # the creator has no invite
    error_of(api.call("DELETE", url), 403, "forbidden")
    error_of(api.call("PATCH", url, "carol"), 404, "not_found")
    error_of(api.call("PATCH", "/v1/events/zzz/invite", "bob"), 404, "not_found")


def test_favorites(api):
    ev = api.weekly()
    api.invite(ev["id"], "bob")
    url = f"/v1/users/me/event_favorites/{ev['id']}"
    for who in ("alice", "bob"):
        r = api.call("PUT", url, who)
        assert (r.status_code, r.content) == (201, b"")
        assert api.call("PUT", url, who).status_code == 204
        assert api.call("GET", f"/v1/events/{ev['id']}", who).json()["is_favorite"] is True
        assert api.call("DELETE", url, who).status_code == 204
        error_of(api.call("DELETE", url, who), 404, "not_found")
        assert api.call("GET", f"/v1/events/{ev['id']}", who).json()["is_favorite"] is False
    error_of(api.call("PUT", url, "carol"), 404, "not_found")
    error_of(api.call("PUT", "/v1/users/me/event_favorites/123"), 404, "not_found")
    assert api.call("GET", f"/v1/events/{ev['id']}").headers["etag"] == '"1"'  # favorites do not revise
