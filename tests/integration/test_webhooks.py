"""Webhook outbox against a real HTTP receiver on 127.0.0.1: signatures, retries, order, dead letters,
filtering, transactions, secrets, authorisation and bad input (API and CLI)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from litestar import Litestar, Router
from litestar.middleware.base import DefineMiddleware

from assetsvc import db
from assetsvc.api import errors
from assetsvc.api.auth import OPEN_PATHS, TokenAuth
from assetsvc.api.webhooks import HANDLERS
from assetsvc.audit.tables import Change
from assetsvc.runtime import vault
from assetsvc.webhooks import delivery, outbox, service
from assetsvc.webhooks.tables import WebhookDelivery, WebhookEndpoint
from tests.integration.conftest import ADMIN, bearer

T0 = 1_790_000_000.0  # 2026-09-21T14:13:20Z
# The sending client's time limit where a receiver hangs: it always fires (the receiver hangs
# until the test ends); the others answer at once, well within it even on a loaded machine.
HANG_TIMEOUT_S = 3.0


# --- a scripted receiver ------------------------------------------------------------------------


class Receiver:
    """A real HTTP server on loopback; the path picks its answer, every request is recorded."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.release = threading.Event()  # ends /hang answers (at teardown)
        self.server: ThreadingHTTPServer | None = None
        self.port = 0

    def start(self, port: int = 0) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                try:
                    receiver.answer(self)
                except OSError:  # the client hung up (timed out, or stopped reading a big body)
                    pass

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path.split("?")[0]
        if path == "/hang":
            self.release.wait(10)
        status = {"/fail": 500, "/redirect": 302, "/big": 500}.get(path, 200)
        text = b"x" * 1_000_000 if path == "/big" else (b"receiver says no" if status == 500 else b"ok")
        handler.send_response(status)
        if path == "/redirect":
            handler.send_header("Location", "http://127.0.0.1:9/elsewhere")
        handler.send_header("Content-Length", str(len(text)))
        handler.end_headers()
        handler.wfile.write(text)

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def url(self, path: str = "/ok") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def events(self, path: str | None = None) -> list[str]:
        return [json.loads(r["body"])["event"] for r in self.requests if path is None or r["path"] == path]


@pytest.fixture
def receiver():
    found = Receiver()
    found.start()
    yield found
    found.release.set()
    found.stop()


@pytest.fixture
def down():
    """A receiver that is down: its port is bound but not listening (connections are refused),
    and reserved so that it can come back on the same address."""
    found = Receiver()
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    found.port = holder.getsockname()[1]

    def come_back() -> None:
        holder.close()
        found.start(found.port)

    found.come_back = come_back
    yield found
    holder.close()
    found.release.set()
    found.stop()


# --- database and API -------------------------------------------------------------------------


@pytest.fixture(autouse=True)
async def _empty_outbox(database):
    # Until conftest's TABLES lists them: endpoints refer to contractors, which `clean` deletes.
    await WebhookDelivery.delete(force=True).run()
    await WebhookEndpoint.delete(force=True).run()
    yield
    await WebhookDelivery.delete(force=True).run()
    await WebhookEndpoint.delete(force=True).run()


@pytest.fixture(autouse=True)
async def clean(_empty_outbox, clean):
    # conftest's `clean`, run after the outbox is emptied.
    yield


@pytest.fixture(scope="module")
def webhooks_app():
    # The webhook routes with the real authentication and error handling (the same as
    # assetsvc/api/app.py), until the app mounts them itself.
    return Litestar(route_handlers=[Router("/api/v1", route_handlers=HANDLERS)],
                    middleware=[DefineMiddleware(TokenAuth, exclude=[f"^{p}$" for p in OPEN_PATHS])],
                    exception_handlers=errors.HANDLERS, logging_config=None, debug=False)


@pytest.fixture
async def api(webhooks_app):
    transport = httpx.ASGITransport(app=webhooks_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as test_client:
        yield test_client


async def endpoint(url: str, name: str = "office", **values) -> dict:
    return await service.create_endpoint(ADMIN, {"name": name, "url": url, **values}, now=T0)


async def emit(event: str, data: dict, contractor: int | None = None, at: float = T0) -> int:
    async with db.write_transaction():
        return await outbox.enqueue(event, data, contractor_id=contractor, at=at)


async def rows() -> list[dict]:
    return await WebhookDelivery.select().order_by(WebhookDelivery.id).run()


async def latest_due() -> float:
    """When every pending delivery is due (those queued through the API are due at its clock)."""
    return max(r["next_at"] for r in await rows() if r["state"] == "pending")


# --- signing and the body ----------------------------------------------------------------------


async def test_a_delivery_is_signed_with_the_endpoints_secret_and_sends_the_stored_body(receiver):
    made = await endpoint(receiver.url())
    assert await emit("ticket.breached", {"ticket": 7, "camera": "西湖路口 1 号"}) == 1
    stored = (await rows())[0]
    counts = await delivery.deliver_due(T0)
    assert counts["delivered"] == 1 and counts["sent"] == 1
    [request] = receiver.requests
    headers, body = request["headers"], request["body"]
    assert body == stored["payload"].encode("utf-8")  # byte for byte what was stored
    assert "西湖路口".encode() in body  # UTF-8, not \u escapes
    sent = json.loads(body)
    assert sent == {"event": "ticket.breached", "delivery": stored["delivery"], "at": "2026-09-21T14:13:20.000+00:00",
                    "data": {"ticket": 7, "camera": "西湖路口 1 号"}}
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Assetsvc-Event"] == "ticket.breached"
    assert headers["X-Assetsvc-Delivery"] == stored["delivery"]
    stamp = int(headers["X-Assetsvc-Timestamp"])
    assert stamp >= T0
    signature = headers["X-Assetsvc-Signature"]
    assert signature.startswith("sha256=") and len(signature) == 7 + 64
    assert delivery.verify_signature(made["secret"], stamp, body, signature, now=stamp)
    assert not delivery.verify_signature("whsec_another-secret-entirely", stamp, body, signature, now=stamp)
    assert not delivery.verify_signature(made["secret"], stamp, body + b" ", signature, now=stamp)
    assert not delivery.verify_signature(made["secret"], stamp + 1, body, signature, now=stamp)
    # The replay window: the same request presented more than 5 minutes later is refused.
    assert delivery.verify_signature(made["secret"], stamp, body, signature, now=stamp + 299)
    assert not delivery.verify_signature(made["secret"], stamp, body, signature, now=stamp + 301)
    assert not delivery.verify_signature(made["secret"], "not-a-time", body, signature, now=stamp)
    done = (await rows())[0]
    assert (done["state"], done["attempts"], done["last_status"], done["delivered_at"]) == ("delivered", 1, 200, T0)


# --- a receiver that is down -------------------------------------------------------------------


async def test_a_receiver_that_is_down_loses_nothing_and_gets_everything_in_order_once_back(down):
    await endpoint(down.url())
    for n in (1, 2, 3):
        await emit(f"ticket.step{n}", {"n": n})
    now, waits = T0, []
    for _ in range(4):
        counts = await delivery.deliver_due(now)
        assert counts == {"endpoints": 1, "sent": 1, "delivered": 0, "retrying": 1, "dead": 0}
        head, *rest = await rows()
        assert head["last_error"].startswith("refused: connection refused") and head["last_status"] is None
        assert all(r["attempts"] == 0 and r["state"] == "pending" for r in rest)  # waiting behind the head
        waits.append(head["next_at"] - now)
        # Not due yet: nothing is sent, the queue keeps its order.
        assert (await delivery.deliver_due(head["next_at"] - 1))["sent"] == 0
        now = head["next_at"]
    assert waits == [30, 60, 120, 240]
    assert [r["state"] for r in await rows()] == ["pending"] * 3
    down.come_back()
    counts = await delivery.deliver_due(now)
    assert counts["delivered"] == 3
    assert down.events() == ["ticket.step1", "ticket.step2", "ticket.step3"]
    assert [(r["state"], r["attempts"]) for r in await rows()] == [("delivered", 5), ("delivered", 1), ("delivered", 1)]
    assert (await delivery.deliver_due(now + 3600))["sent"] == 0  # never sent twice


async def test_dead_after_max_attempts_then_retry_through_the_api_delivers_it(down, receiver, api, people):
    made = await endpoint(down.url())
    await emit("ticket.breached", {"ticket": 1})
    first = now = T0
    for attempt in range(1, delivery.MAX_ATTEMPTS + 1):
        await delivery.deliver_due(now)
        [row] = await rows()
        assert row["attempts"] == attempt
        if row["state"] == "pending":
            last, now = now, row["next_at"]
    assert (row["state"], row["attempts"]) == ("dead", delivery.MAX_ATTEMPTS)
    assert 23 * 3600 < last - first < 25 * 3600  # about a day of trying
    assert (await delivery.deliver_due(now + 86400))["sent"] == 0  # dead letters are not sent
    # A dead head no longer holds up the queue behind it.
    await emit("ticket.escalated", {"ticket": 1}, at=now)
    assert (await delivery.deliver_due(now))["sent"] == 1
    # The receiver moves; the office points the endpoint there and retries the dead letter.
    patched = await api.patch(f"/api/v1/webhooks/{made['id']}", json={"url": receiver.url()},
                              headers=bearer(people.admin))
    assert patched.status_code == 200, patched.text
    retried = await api.post(f"/api/v1/webhooks/deliveries/{row['id']}/retry", headers=bearer(people.admin))
    assert retried.status_code == 200, retried.text
    assert retried.json()["state"] == "pending" and retried.json()["attempts"] == 0
    again = await api.post(f"/api/v1/webhooks/deliveries/{row['id']}/retry", headers=bearer(people.admin))
    assert again.status_code == 409 and "only dead deliveries" in again.json()["detail"]
    missing = await api.post("/api/v1/webhooks/deliveries/999999/retry", headers=bearer(people.admin))
    assert missing.status_code == 404
    assert (await delivery.deliver_due(await latest_due()))["delivered"] == 2  # the retry is due at the API's clock
    assert receiver.events() == ["ticket.breached", "ticket.escalated"]
    dead = await api.get("/api/v1/webhooks/deliveries?state=dead", headers=bearer(people.admin))
    assert dead.status_code == 200 and dead.json() == []


async def test_failures_are_recorded_precisely_and_back_off(receiver):
    client = httpx.AsyncClient(timeout=httpx.Timeout(HANG_TIMEOUT_S), follow_redirects=False, trust_env=False)
    await endpoint(receiver.url("/fail"), name="fails")
    await endpoint(receiver.url("/hang"), name="hangs")
    await endpoint(receiver.url("/redirect"), name="moved")
    await endpoint(receiver.url("/big"), name="verbose")
    await endpoint(receiver.url("/ok").replace("http://", "https://"), name="tls")
    await emit("ticket.breached", {"ticket": 1})
    async with client:
        counts = await delivery.deliver_due(T0, client=client)
    assert counts == {"endpoints": 5, "sent": 5, "delivered": 0, "retrying": 5, "dead": 0}
    found = {r["endpoint"]: r for r in await rows()}
    by_name = {e["name"]: found[e["id"]] for e in await service.list_endpoints(ADMIN)}
    assert by_name["fails"]["last_status"] == 500
    assert by_name["fails"]["last_error"] == "http: HTTP 500: receiver says no"
    assert by_name["hangs"]["last_error"] == "timeout: no answer within 3 s"
    assert by_name["moved"]["last_status"] == 302
    assert "redirects are not followed; Location: http://127.0.0.1:9/elsewhere" in by_name["moved"]["last_error"]
    assert by_name["verbose"]["last_error"].startswith("http: HTTP 500: xxxx")
    assert len(by_name["verbose"]["last_error"]) <= 300
    assert by_name["tls"]["last_error"].startswith("tls: ") and by_name["tls"]["last_status"] is None
    assert all(r["next_at"] == T0 + 30 and r["state"] == "pending" for r in found.values())
    assert "/elsewhere" not in [r["path"] for r in receiver.requests]  # the redirect was not followed


async def test_a_failing_endpoint_does_not_hold_up_the_others(receiver):
    client = httpx.AsyncClient(timeout=httpx.Timeout(HANG_TIMEOUT_S), follow_redirects=False, trust_env=False)
    await endpoint(receiver.url("/hang"), name="hangs")
    await endpoint(receiver.url("/fail"), name="fails")
    await endpoint(receiver.url("/ok"), name="works")
    for n in (1, 2, 3):
        await emit(f"ticket.step{n}", {"n": n})
    async with client:
        counts = await delivery.deliver_due(T0, client=client)
    assert counts["delivered"] == 3 and counts["retrying"] == 2
    assert receiver.events("/ok") == ["ticket.step1", "ticket.step2", "ticket.step3"]
    # A failing endpoint's turn ends at its first failure: its later deliveries wait, in order.
    assert receiver.events("/fail") == ["ticket.step1"] and receiver.events("/hang") == ["ticket.step1"]


async def test_two_senders_at_once_never_send_a_delivery_twice(receiver):
    for n in range(4):
        await endpoint(receiver.url(f"/ok?e={n}"), name=f"e{n}")
    for n in range(5):
        await emit("ticket.breached", {"n": n})
    first, second = await asyncio.gather(delivery.deliver_due(T0), delivery.deliver_due(T0))
    assert first["delivered"] + second["delivered"] == 20
    ids = [r["headers"]["X-Assetsvc-Delivery"] for r in receiver.requests]
    assert len(ids) == 20 and len(set(ids)) == 20
    assert all(r["state"] == "delivered" for r in await rows())


async def test_a_lease_left_by_a_dead_sender_runs_out_and_the_delivery_is_sent(receiver):
    await endpoint(receiver.url())
    await emit("ticket.breached", {"ticket": 1})
    [claimed] = await delivery.claim("crashed-node", T0, 10)  # claimed, never sent or recorded
    assert len(claimed.items) == 1
    assert (await delivery.deliver_due(T0 + delivery.LEASE_S - 1))["sent"] == 0
    assert (await delivery.deliver_due(T0 + delivery.LEASE_S + 1))["delivered"] == 1
    assert len(receiver.requests) == 1


# --- who gets what -----------------------------------------------------------------------------


async def test_contractor_endpoints_get_only_their_contractors_events(receiver, people):
    await endpoint(receiver.url("/office"), name="office")
    await endpoint(receiver.url("/a"), name="a", contractor=people.a_id)
    await endpoint(receiver.url("/b"), name="b", contractor=people.b_id)
    await endpoint(receiver.url("/off"), name="off", active=False)
    assert await emit("ticket.breached", {"for": "a"}, contractor=people.a_id) == 2
    assert await emit("ticket.breached", {"for": "b"}, contractor=people.b_id) == 2
    assert await emit("ticket.breached", {"for": "nobody"}) == 1
    await delivery.deliver_due(T0)
    got = {path: [json.loads(r["body"])["data"]["for"] for r in receiver.requests if r["path"] == path]
           for path in ("/office", "/a", "/b", "/off")}
    assert got == {"/office": ["a", "b", "nobody"], "/a": ["a"], "/b": ["b"], "/off": []}


async def test_an_events_list_filters_what_an_endpoint_gets(receiver):
    await endpoint(receiver.url("/breaches"), name="breaches", events=["ticket.breached"])
    await endpoint(receiver.url("/all"), name="all")
    await emit("ticket.breached", {})
    await emit("ticket.escalated", {})
    await delivery.deliver_due(T0)
    assert receiver.events("/breaches") == ["ticket.breached"]
    assert receiver.events("/all") == ["ticket.breached", "ticket.escalated"]


async def test_an_enqueue_in_a_transaction_that_rolls_back_leaves_no_delivery(receiver):
    await endpoint(receiver.url())
    with pytest.raises(ZeroDivisionError):
        async with db.write_transaction():
            assert await outbox.enqueue("ticket.breached", {}, contractor_id=None, at=T0) == 1
            raise ZeroDivisionError  # the change being reported fails
    assert await rows() == []
    with pytest.raises(RuntimeError, match="inside the caller's db.write_transaction"):
        await outbox.enqueue("ticket.breached", {}, contractor_id=None, at=T0)
    with pytest.raises(ValueError, match="event name"):
        await emit("Ticket Breached!", {})
    assert await rows() == []


# --- secrets ------------------------------------------------------------------------------------


async def test_the_secret_is_shown_once_never_again_nor_logged(api, people, receiver, caplog):
    caplog.set_level(logging.DEBUG)
    admin = bearer(people.admin)
    created = await api.post("/api/v1/webhooks", json={"name": "video office", "url": receiver.url("/fail")},
                             headers=admin)
    assert created.status_code == 201, created.text
    secret, endpoint_id = created.json()["secret"], created.json()["id"]
    assert secret.startswith("whsec_") and len(secret) > 40
    stored = (await WebhookEndpoint.select(WebhookEndpoint.secret).run())[0]["secret"]
    assert secret not in stored and vault().decrypt(stored) == secret  # encrypted at rest
    pinged = await api.post(f"/api/v1/webhooks/{endpoint_id}/ping", headers=admin)
    assert pinged.status_code == 202 and pinged.json()["event"] == "ping"
    assert (await delivery.deliver_due(await latest_due()))["retrying"] == 1  # a 500: a warning is logged
    answers = [await api.get("/api/v1/webhooks", headers=admin),
               await api.get(f"/api/v1/webhooks/{endpoint_id}", headers=admin),
               await api.patch(f"/api/v1/webhooks/{endpoint_id}", json={"events": ["ping"]}, headers=admin),
               await api.get("/api/v1/webhooks/deliveries", headers=admin)]
    assert all(a.status_code == 200 for a in answers)
    assert all(secret not in a.text and "secret" not in a.json() for a in answers[:3])
    assert secret not in answers[3].text
    rotated = await api.patch(f"/api/v1/webhooks/{endpoint_id}", json={"rotate_secret": True}, headers=admin)
    assert rotated.status_code == 200
    new_secret = rotated.json()["secret"]
    assert new_secret != secret
    listed = await api.get("/api/v1/webhooks", headers=admin)
    assert new_secret not in listed.text
    changes = json.dumps(await Change.select().output(load_json=True).run(), ensure_ascii=False, default=str)
    assert secret not in changes and new_secret not in changes and '"***"' in changes
    assert "webhook ping to endpoint" in caplog.text  # the failure was logged ...
    assert secret not in caplog.text and new_secret not in caplog.text  # ... without the secret
    # New attempts are signed with the new secret.
    await api.patch(f"/api/v1/webhooks/{endpoint_id}", json={"url": receiver.url()}, headers=admin)
    assert (await delivery.deliver_due(await latest_due()))["delivered"] == 1
    last = receiver.requests[-1]["headers"]
    assert delivery.verify_signature(new_secret, last["X-Assetsvc-Timestamp"], receiver.requests[-1]["body"],
                                     last["X-Assetsvc-Signature"], now=int(last["X-Assetsvc-Timestamp"]))


async def test_a_given_secret_is_kept_and_removing_an_endpoint_says_what_was_dropped(api, people, receiver):
    admin = bearer(people.admin)
    made = await api.post("/api/v1/webhooks", json={"name": "mine", "url": receiver.url(),
                                                    "secret": "a-shared-secret-of-ours"}, headers=admin)
    assert made.status_code == 201 and made.json()["secret"] == "a-shared-secret-of-ours"
    await emit("ticket.breached", {})
    off = await api.patch(f"/api/v1/webhooks/{made.json()['id']}", json={"active": False, "name": "mine"},
                          headers=admin)
    assert off.status_code == 200 and off.json()["active"] is False and off.json()["deliveries"]["pending"] == 1
    [logged] = await Change.select().where(Change.action == "update").output(load_json=True).run()
    assert logged["changes"] == {"active": [True, False]}  # only what really changed
    gone = await api.delete(f"/api/v1/webhooks/{made.json()['id']}", headers=admin)
    assert gone.status_code == 200 and gone.json() == {"deleted": made.json()["id"], "name": "mine",
                                                       "dropped_pending": 1}
    assert await rows() == []
    assert (await api.get(f"/api/v1/webhooks/{made.json()['id']}", headers=admin)).status_code == 404


async def test_a_contractor_with_endpoints_cannot_be_deleted_out_from_under_them(people):
    from assetsvc.errors import Conflict
    from assetsvc.registry.crud import delete_record
    from assetsvc.registry.entities import CONTRACTOR

    await endpoint("http://127.0.0.1:9/", name="a", contractor=people.a_id)
    with pytest.raises(Conflict, match="webhook endpoint"):
        await delete_record(CONTRACTOR, ADMIN, people.a_id)


# --- authorisation ------------------------------------------------------------------------------


ROUTES = [  # (method, path, body, is a write, admin's status)
    ("GET", "/webhooks", None, False, 200),
    ("POST", "/webhooks", {"name": "new", "url": "https://hooks.example.test/in"}, True, 201),
    ("GET", "/webhooks/{e}", None, False, 200),
    ("PATCH", "/webhooks/{e}", {"active": False}, True, 200),
    ("DELETE", "/webhooks/{e}", None, True, 200),
    ("POST", "/webhooks/{e}/ping", None, True, 202),
    ("GET", "/webhooks/deliveries", None, False, 200),
    ("POST", "/webhooks/deliveries/{d}/retry", None, True, 200),
]


@pytest.mark.parametrize("role", ["admin", "auditor", "contractor_a", "anonymous"])
@pytest.mark.parametrize("method, path, body, write, admin_status", ROUTES)
async def test_only_the_office_manages_webhooks_and_auditors_read(api, people, role, method, path, body, write,
                                                                 admin_status):
    made = await endpoint("http://127.0.0.1:9/in")
    await emit("ticket.breached", {})
    [row] = await rows()
    await WebhookDelivery.update({WebhookDelivery.state: "dead"}).where(WebhookDelivery.id == row["id"]).run()
    headers = {} if role == "anonymous" else bearer(getattr(people, role))
    answer = await api.request(method, "/api/v1" + path.format(e=made["id"], d=row["id"]), json=body,
                               headers=headers)
    expected = {"admin": admin_status, "auditor": 403 if write else 200, "contractor_a": 403,
                "anonymous": 401}[role]
    assert answer.status_code == expected, answer.text
    if expected >= 400:
        assert answer.json()["detail"]
        assert [r["state"] for r in await rows()] == ["dead"]  # nothing changed
        assert len(await WebhookEndpoint.select().run()) == 1


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize("values, field, words", [
    ({"url": "ftp://127.0.0.1/in"}, "url", "scheme 'ftp' is not http or https"),
    ({"url": "javascript:alert(1)"}, "url", "scheme 'javascript'"),
    ({"url": "file:///etc/passwd"}, "url", "scheme 'file'"),
    ({"url": "127.0.0.1:8080/in"}, "url", "is not http or https"),
    ({"url": "http://user:pass@127.0.0.1/in"}, "url", "user name or password"),
    ({"url": "http:///in"}, "url", "no host"),
    ({"url": "http://127.0.0.1:99999/in"}, "url", "malformed"),
    ({"url": "http://127.0.0.1/in#frag"}, "url", "fragment"),
    ({"url": "http://127.0.0.1/a b"}, "url", "spaces"),
    ({"url": "http://127.0.0.1/" + "a" * 2000}, "url", "longer than 2000"),
    ({"url": 42}, "url", "http:// or https://"),
    ({"name": "n" * 101}, "name", "longer than 100"),
    ({"name": "  "}, "name", "empty"),
    ({"name": "bell\x07"}, "name", "control characters"),
    ({"events": "ticket.breached"}, "events", "list of event names"),
    ({"events": ["Ticket Breached"]}, "events", "not event names"),
    ({"contractor": 999999}, "contractor", "no contractor with id 999999"),
    ({"contractor": "甲"}, "contractor", "contractor id or null"),
    ({"active": "yes"}, "active", "true or false"),
    ({"secret": "short"}, "secret", "16..200"),
    ({"colour": "red"}, "colour", "not a webhook field"),
])
async def test_bad_endpoint_input_names_the_field_and_writes_nothing(api, people, values, field, words):
    body = {"name": "office", "url": "https://hooks.example.test/in", **values}
    answer = await api.post("/api/v1/webhooks", json=body, headers=bearer(people.admin))
    assert answer.status_code == 400, answer.text
    problems = {e["field"]: e["message"] for e in answer.json()["errors"]}
    assert field in problems and words in problems[field], problems
    assert await WebhookEndpoint.select().run() == []
    assert await Change.select().where(Change.entity == "webhook_endpoint").run() == []


async def test_bodies_that_are_not_a_json_object_and_bad_queries_are_refused(api, people):
    admin = bearer(people.admin)
    for content in (b"{not json", b"[1, 2]", b"", "名".encode("gbk")):
        answer = await api.post("/api/v1/webhooks", content=content,
                                headers={**admin, "Content-Type": "application/json"})
        assert answer.status_code == 400 and answer.json()["errors"][0]["field"] == "body", answer.text
    made = await endpoint("https://hooks.example.test/in")
    patched = await api.patch(f"/api/v1/webhooks/{made['id']}", content=b"nope", headers=admin)
    assert patched.status_code == 400 and patched.json()["errors"][0]["field"] == "body"
    both = await api.patch(f"/api/v1/webhooks/{made['id']}", json={"rotate_secret": True,
                                                                 "secret": "0123456789abcdefgh"}, headers=admin)
    assert both.status_code == 400 and "not both" in both.text
    duplicate = await api.post("/api/v1/webhooks", json={"name": "office", "url": "https://x.test/"}, headers=admin)
    assert duplicate.status_code == 409 and duplicate.json()["errors"][0]["field"] == "name"
    for query, field in (("state=lost", "state"), ("limit=0", "limit"), ("limit=many", "limit"),
                         ("endpoint=x", "endpoint"), ("colour=red", "colour")):
        answer = await api.get(f"/api/v1/webhooks/deliveries?{query}", headers=admin)
        assert answer.status_code == 400, (query, answer.text)
        assert field in answer.text
    assert (await api.get("/api/v1/webhooks/deliveries?endpoint=999999", headers=admin)).status_code == 404
    assert (await api.post("/api/v1/webhooks/999999/ping", headers=admin)).status_code == 404
    await api.patch(f"/api/v1/webhooks/{made['id']}", json={"active": False}, headers=admin)
    assert (await api.post(f"/api/v1/webhooks/{made['id']}/ping", headers=admin)).status_code == 409
    assert await rows() == []


# --- the command line ---------------------------------------------------------------------------


def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assetsvc.webhooks.cli", *args], capture_output=True, text=True,
                          timeout=120, env=dict(os.environ), input=stdin)


async def test_the_command_line_adds_lists_delivers_retries_and_removes(receiver, people):
    added = cli("add", "office", receiver.url(), "--event", "ticket.breached")
    assert added.returncode == 0, added.stderr
    secret = added.stdout.split("shown once, store it with the receiver): ")[1].strip()
    listed = cli("list")
    assert "office" in listed.stdout and receiver.url() in listed.stdout and secret not in listed.stdout
    bad = cli("add", "other", "ftp://127.0.0.1/")
    assert bad.returncode == 1 and "scheme 'ftp' is not http or https" in bad.stderr and "Traceback" not in bad.stderr
    await emit("ticket.breached", {"ticket": 3})
    sent = cli("deliver-now")
    assert sent.returncode == 0 and "delivered 1" in sent.stdout, sent.stdout + sent.stderr
    [request] = receiver.requests
    assert delivery.verify_signature(secret, request["headers"]["X-Assetsvc-Timestamp"], request["body"],
                                     request["headers"]["X-Assetsvc-Signature"],
                                     now=int(request["headers"]["X-Assetsvc-Timestamp"]))
    shown = json.loads(cli("deliveries", "--endpoint", "office", "--json").stdout)
    assert [d["state"] for d in shown] == ["delivered"] and shown[0]["payload"]["data"] == {"ticket": 3}
    refused = cli("retry", str(shown[0]["id"]))
    assert refused.returncode == 1 and "only dead deliveries are retried" in refused.stderr
    given = cli("add", "given", receiver.url("/given"), "--secret-stdin", stdin="our-own-secret-0123\n")
    assert "our-own-secret-0123" in given.stdout
    removed = cli("remove", "office")
    assert removed.returncode == 0 and "removed office" in removed.stdout
    assert [e["name"] for e in json.loads(cli("list", "--json").stdout)] == ["given"]
