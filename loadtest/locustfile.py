"""Mixed staff traffic against a running noogh (driven by loadtest/run.py and
loadtest/scaleout.py): list pages and the keyset pages after them, searches,
details, edits, (de)activations and CSV exports.

Each simulated staff member owns its own slice of user ids, so its writes never
race another's and the last successful write per user is the expected state.
After each write the client reads the account back (its detail page, and for
an edit a search for the new name): a page showing the value from before the
write fails as "stale read after write", whichever app server answers.
"""

import itertools
import json
import os
import random
import re
import time
import uuid

from locust import HttpUser, between, events, task

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="([^"]+)"')
NEXT = re.compile(r'rel="next" href="([^"]+)"')
with open(os.environ["LOADTEST_IDS"]) as _ids:
    USER_IDS: list[int] = json.load(_ids)  # existing, non-superuser accounts
SLICES = int(os.environ.get("LOADTEST_USERS", "32"))
TERMS = ["anderson", "zelridge", "ma", "lindwood", "grace", "zo", "thornton", "example"]
# A proxy in front appends the real address: whatever a client claims here must
# never reach the trail or the lockouts (checked by loadtest/scaleout.py).
SPOOFED = os.environ.get("LOADTEST_SPOOF_FORWARDED_FOR", "")
WRITES: list[dict] = []  # every write the server confirmed (a redirect)
EVENTS: list[dict] = []  # failures, and read-after-write checks, with times
_slice_numbers = itertools.count()


class Staff(HttpUser):
    wait_time = between(0.05, 0.25)

    def on_start(self):
        self.client.verify = not os.environ.get("LOADTEST_INSECURE")
        # As a browser sends it: over HTTPS, Django's CSRF check wants a
        # same-origin Referer on every POST.
        self.client.headers["Referer"] = self.host + "/"
        if SPOOFED:
            self.client.headers["X-Forwarded-For"] = SPOOFED
        number = next(_slice_numbers) % SLICES
        self.ids = USER_IDS[number::SLICES]
        page = self.client.get("/accounts/login/", name="login page")
        self.client.post(
            "/accounts/login/",
            {
                "username": os.environ["LOADTEST_LOGIN"],
                "password": os.environ["LOADTEST_PASSWORD"],
                "csrfmiddlewaretoken": TOKEN.search(page.text).group(1),
            },
            name="login",
        )

    def _csrf(self, html: str) -> str:
        return TOKEN.search(html).group(1)

    @task(4)
    def list_page(self):
        page = self.client.get("/users/", name="list")
        # Keyset pages: the next page's token comes from the page before.
        for _ in range(random.randint(0, 2)):
            found = NEXT.search(page.text) if page.status_code == 200 else None
            if not found:
                return
            page = self.client.get(
                found.group(1).replace("&amp;", "&"), name="list next page"
            )

    @task(3)
    def search(self):
        self.client.get(f"/users/?q={random.choice(TERMS)}", name="search")

    @task(3)
    def detail(self):
        self.client.get(f"/users/{random.choice(self.ids)}/", name="detail")

    @task(1)
    def export(self):
        everything = random.random() < 0.1
        path = "/users/export.csv" + (
            "" if everything else f"?q={random.choice(TERMS)}"
        )
        name = "export (all)" if everything else "export (search)"
        with self.client.get(path, name=name, stream=True, catch_response=True) as got:
            size, last = 0, b""
            for chunk in got.iter_content(65536):
                size, last = size + len(chunk), chunk
            if got.status_code == 200 and not last.endswith(b"\n"):
                got.failure("export cut short")

    @task(1)
    def edit(self):
        pk = random.choice(self.ids)
        form = self.client.get(f"/users/{pk}/edit/", name="edit form")
        if form.status_code != 200:
            return
        full_name = f"Load {uuid.uuid4().hex[:12]}"
        username = re.search(r'name="username" value="([^"]+)"', form.text).group(1)
        email = re.search(r'name="email" value="([^"]+)"', form.text).group(1)
        response = self.client.post(
            f"/users/{pk}/edit/",
            {
                "csrfmiddlewaretoken": self._csrf(form.text),
                "version": VERSION.search(form.text).group(1),
                "username": username,
                "email": email,
                "full_name": full_name,
                "is_active": "on",
            },
            name="edit save",
            allow_redirects=False,
        )
        if _confirmed(response):
            WRITES.append({"id": pk, "full_name": full_name, "is_active": True})
            self._read_back(
                pk, response, lambda html: full_name in html, "detail after edit"
            )
            self._read_back(
                pk,
                response,
                lambda html: f'href="/users/{pk}/' in html,
                "search after edit",
                f"/users/?q={full_name.split()[1]}",
            )

    @task(1)
    def toggle_active(self):
        pk = random.choice(self.ids)
        page = self.client.get(f"/users/{pk}/", name="detail")
        if page.status_code != 200:
            return
        action = (
            "deactivate"
            if f'action="/users/{pk}/deactivate/"' in page.text
            else "activate"
        )
        response = self.client.post(
            f"/users/{pk}/{action}/",
            {"csrfmiddlewaretoken": self._csrf(page.text)},
            name=action,
            allow_redirects=False,
        )
        if _confirmed(response):
            WRITES.append({"id": pk, "is_active": action == "activate"})
            # Active now: the page offers Deactivate (and the other way round).
            offered = "deactivate" if action == "activate" else "activate"
            self._read_back(
                pk,
                response,
                lambda html: f'action="/users/{pk}/{offered}/"' in html,
                f"detail after {action}",
            )

    def _read_back(self, pk, write, shows, name, path=None):
        """Read what was just written, on whichever server answers next."""
        path = path or f"/users/{pk}/"
        with self.client.get(path, name=name, catch_response=True) as read:
            crossed = read.headers.get("X-Upstream") != write.headers.get("X-Upstream")
            fresh = read.status_code == 200 and shows(read.text)
            if read.status_code == 200 and not fresh:
                read.failure("stale read after write")
            EVENTS.append(
                {"t": time.time(), "check": name, "fresh": fresh,
                 "status": read.status_code, "crossed": crossed}
            )  # fmt: skip


def _confirmed(response) -> bool:
    """The redirect a saved form answers - not the one to the login page a
    lost session gets."""
    location = response.headers.get("Location", "")
    return response.status_code == 302 and "/accounts/login/" not in location


@events.request.add_listener
def note_failure(request_type, name, response, exception, **kwargs):
    status = getattr(response, "status_code", None)
    if exception is None and status is not None and status < 400:
        return
    cause = f"HTTP {status}" if status else type(exception).__name__
    if exception is not None and status and status < 400:
        cause = str(exception)[:80]  # marked failed by the check itself
    EVENTS.append({"t": time.time(), "failure": cause, "name": name})


@events.quitting.add_listener
def save_writes(environment, **kwargs):
    with open(os.environ["LOADTEST_WRITES"], "w") as handle:
        json.dump(WRITES, handle)
    if os.environ.get("LOADTEST_EVENTS"):
        with open(os.environ["LOADTEST_EVENTS"], "w") as handle:
            json.dump(EVENTS, handle)
