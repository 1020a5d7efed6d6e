"""The load test's clients (run by `python -m bench.load`, not by hand).

Every locust user is one client that does all four kinds of work, picking each request by
weight, so the mix of *requests* is the mix of issue 14 whatever each costs: partner keys
syncing and reading 60%, bar-association portal pages 25%, back-office changelists and the
dashboard 10%, writes through the API and the portal 5%. No think time (a closed loop: each
client sends its next request when the last one is answered).

The cheapest authenticated request (one province by id with an API key) is one of the
partner reads, so the runner can state every kind's cost as a multiple of it, measured in
the same run.

On start a client signs in to the portal as its own bar-association account and to the
admin as its own justice-department account (password, then a TOTP code computed with
django_otp.oath.totp from the key the runner set). When the last client has signed in the
statistics are reset: sign-ins (deliberately slow password hashing) are not measured.

Writes carry a unique marker in their `note`, API writes an `Idempotency-Key` too (a fifth
of them are sent twice with the same key, as a client retrying after a lost answer would);
each acknowledged write is appended to LOAD_WRITES_FILE for the runner's reconciliation.
"""

from __future__ import annotations

import binascii
import itertools
import json
import os
import random
import re
import threading
import time
import uuid
from http.cookiejar import DefaultCookiePolicy
from typing import Any

import gevent
from django_otp.oath import totp
from locust import HttpUser, events, task
from locust.clients import HttpSession

CONFIG: dict[str, Any] = json.loads(open(os.environ["LOAD_CONFIG"]).read())  # noqa: SIM115
WRITES_FILE = os.environ["LOAD_WRITES_FILE"]
RUN_ID = CONFIG["run_id"]
USERS = int(os.environ.get("LOAD_USERS", "1"))
# seconds measured once every client has signed in (locust's --run-time is only the cap)
MEASURE_SECONDS = float(os.environ.get("LOAD_MEASURE_SECONDS", "60"))
# writes' weights times this (the harness's own test raises it so a few seconds write)
WRITE_WEIGHT = int(os.environ.get("LOAD_WRITE_WEIGHT", "1"))
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

_client_numbers = itertools.count()
_signed_in = itertools.count(1)
_write_lock = threading.Lock()
_measuring = False


class _LoopbackCookies(DefaultCookiePolicy):
    """Production cookies are `Secure`; on plain-HTTP loopback (what TLS termination in
    front of gunicorn would give it) the client still sends them: the flag is dropped as
    a cookie is stored (requests copies the jar into one of default policy per request,
    so a policy that merely allows them when sending would not be used)."""

    def set_ok(self, cookie: Any, request: Any) -> bool:
        cookie.secure = False
        return super().set_ok(cookie, request)


def _record_write(entry: dict[str, Any]) -> None:
    with _write_lock, open(WRITES_FILE, "a") as out:
        out.write(json.dumps(entry) + "\n")


class _Session(HttpSession):
    """Tells the server each request's kind (the `name`) and whether it is measured, for
    gunicorn's access log: the time a worker spent on a request (%(D)s) is its cost, the
    client's latency also holds the wait for a free worker."""

    def request(self, method: str, url: str, name: str | None = None, **kwargs: Any) -> Any:
        kwargs["headers"] = {
            **(kwargs.get("headers") or {}),
            "X-Load-Kind": name or url,
            "X-Load-Measured": "1" if _measuring else "0",
        }
        return super().request(method, url, name=name, **kwargs)


def _csrf(html: str) -> str:
    match = CSRF.search(html)
    return match.group(1) if match else ""


class Client(HttpUser):
    """One partner system + one bar-association clerk + one department clerk."""

    def on_start(self) -> None:
        number = next(_client_numbers)
        self.client = self._session()
        self.api = {"Authorization": f"Api-Key {CONFIG['partner_key']}"}
        self.api_write = {"Authorization": f"Api-Key {CONFIG['department_key']}"}
        self.portal = self._session()
        self.admin = self._session()
        bar = CONFIG["bar_accounts"][number % len(CONFIG["bar_accounts"])]
        dept = CONFIG["dept_accounts"][number % len(CONFIG["dept_accounts"])]
        self._sign_in(self.portal, bar, mfa=False)
        self._sign_in(self.admin, dept, mfa=True)
        self.cursor: str | None = None
        self.rng = random.Random(number)
        if next(_signed_in) == USERS:  # the last client: measure from here on
            global _measuring  # one flag for all of this process's clients
            self.environment.stats.reset_all()
            _measuring = True
            _record_write({"via": "start", "at": time.time()})
            gevent.spawn_later(MEASURE_SECONDS, self._end_measurement)

    def _end_measurement(self) -> None:
        _record_write({"via": "end", "at": time.time()})
        self.environment.runner.quit()

    def _session(self) -> HttpSession:
        session = _Session(
            base_url=self.host, request_event=self.environment.events.request, user=self
        )
        session.cookies.set_policy(_LoopbackCookies())
        return session

    def _sign_in(self, session: HttpSession, account: dict[str, str], *, mfa: bool) -> None:
        page = session.get("/accounts/login/", name="sign-in")
        response = session.post(
            "/accounts/login/",
            data={
                "username": account["username"],
                "password": CONFIG["password"],
                "csrfmiddlewaretoken": _csrf(page.text),
            },
            name="sign-in",
            allow_redirects=False,
        )
        if response.status_code != 302:
            raise RuntimeError(f"sign-in of {account['username']}: HTTP {response.status_code}")
        if not mfa:
            return
        page = session.get("/accounts/mfa/?next=/admin/", name="sign-in")
        token = f"{totp(binascii.unhexlify(account['totp_key'])):06d}"
        response = session.post(
            "/accounts/mfa/",
            data={"token": token, "next": "/admin/", "csrfmiddlewaretoken": _csrf(page.text)},
            name="sign-in",
            allow_redirects=False,
        )
        if response.status_code != 302:
            raise RuntimeError(f"TOTP of {account['username']}: HTTP {response.status_code}")

    # --- partner keys, 60% ---------------------------------------------------------------

    @task(10)
    def cheapest(self) -> None:
        self.client.get(
            f"/api/v1/provinces/{CONFIG['province_id']}/",
            headers=self.api,
            name="api: province by id (cheapest)",
        )

    @task(15)
    def lawyer_page(self) -> None:
        page = self.rng.randint(1, CONFIG["lawyer_pages"])
        self.client.get(
            f"/api/v1/lawyers/?page={page}&page_size=100",
            headers=self.api,
            name="api: lawyers, page of 100",
        )

    @task(15)
    def lawyer_sync(self) -> None:
        if self.cursor:
            url = f"/api/v1/lawyers/?cursor={self.cursor}&page_size=100"
        else:
            url = "/api/v1/lawyers/?updated_since=2024-01-01T00:00:00Z&page_size=100"
        with self.client.get(
            url, headers=self.api, name="api: lawyers sync (keyset)", catch_response=True
        ) as response:
            if response.status_code == 200:
                self.cursor = response.json().get("next_cursor")
                response.success()
            else:
                self.cursor = None
                response.failure(f"HTTP {response.status_code}")

    @task(10)
    def firm_page(self) -> None:
        self.client.get(
            f"/api/v1/firms/?page={self.rng.randint(1, CONFIG['firm_pages'])}&page_size=100",
            headers=self.api,
            name="api: firms, page of 100",
        )

    @task(5)
    def lawyer_detail(self) -> None:
        pk = self.rng.choice(CONFIG["lawyer_ids"])
        self.client.get(f"/api/v1/lawyers/{pk}/", headers=self.api, name="api: lawyer detail")

    @task(5)
    def service_records(self) -> None:
        self.client.get(
            "/api/v1/service-records/?page_size=100",
            headers=self.api,
            name="api: service records, page of 100",
        )

    # --- bar-association portal, 25% -----------------------------------------------------

    @task(6)
    def portal_home(self) -> None:
        self.portal.get("/portal/", name="portal: home")

    @task(4)
    def portal_trainees(self) -> None:
        self.portal.get("/portal/trainees/", name="portal: trainees")

    @task(4)
    def portal_secondments(self) -> None:
        self.portal.get("/portal/secondments/", name="portal: secondments")

    @task(4)
    def portal_pairings(self) -> None:
        self.portal.get("/portal/pairings/", name="portal: pairings")

    @task(4)
    def portal_branches(self) -> None:
        self.portal.get("/portal/branches/", name="portal: branches")

    @task(3)
    def portal_branch(self) -> None:
        self.portal.get(f"/portal/branches/{CONFIG['branch_id']}/", name="portal: branch detail")

    # --- back office, 10% ---------------------------------------------------------------

    @task(4)
    def admin_lawyers(self) -> None:
        self.admin.get("/admin/lawyers/lawyer/", name="admin: lawyer changelist")

    @task(3)
    def admin_firms(self) -> None:
        self.admin.get("/admin/firms/lawfirm/", name="admin: firm changelist")

    @task(3)
    def admin_dashboard(self) -> None:
        self.admin.get("/admin/", name="admin: dashboard")

    # --- writes, 5% -----------------------------------------------------------------------

    @task(3 * WRITE_WEIGHT)
    def api_write(self) -> None:
        marker = f"load {RUN_ID} api {uuid.uuid4().hex}"
        key = str(uuid.uuid4())
        body = {
            "branch": CONFIG["branch_code"],
            "kind": "village_adviser",
            "served_on": "2026-06-02",
            "quantity": 1,
            "note": marker,
        }
        headers = {**self.api_write, "Idempotency-Key": key}
        sends = 2 if self.rng.random() < 0.2 else 1
        first_id = None
        for attempt in range(sends):
            name = "write: API service record" + (" (retry, same key)" if attempt else "")
            with self.client.post(
                "/api/v1/service-records/",
                json=body,
                headers=headers,
                name=name,
                catch_response=True,
            ) as response:
                if response.status_code != 201:
                    response.failure(f"HTTP {response.status_code}: {response.text[:200]}")
                    return
                record_id = response.json()["id"]
                if first_id is not None and record_id != first_id:
                    response.failure(f"a retry with the same key made row {record_id}")
                    return
                response.success()
                first_id = record_id
                _record_write(
                    {"via": "api", "marker": marker, "key": key, "id": record_id, "at": time.time()}
                )

    @task(2 * WRITE_WEIGHT)
    def portal_write(self) -> None:
        url = f"/portal/branches/{CONFIG['branch_id']}/services/add/"
        form = self.portal.get(url, name="write: portal service form")
        if form.status_code != 200:
            return
        marker = f"load {RUN_ID} portal {uuid.uuid4().hex}"
        with self.portal.post(
            url,
            data={
                "csrfmiddlewaretoken": _csrf(form.text),
                "kind": "legal_aid",
                "served_on": "2026-06-03",
                "quantity": "1",
                "licence_no": "",
                "note": marker,
            },
            name="write: portal service record",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"HTTP {response.status_code}")
                return
            response.success()
            _record_write({"via": "portal", "marker": marker, "key": None, "at": time.time()})


@events.quitting.add_listener
def _quitting(environment: Any, **_kwargs: Any) -> None:
    environment.process_exit_code = 0  # failures are reported, not an exit status
