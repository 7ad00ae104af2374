"""Mixed staff traffic against a running noogh (driven by loadtest/run.py).

Each simulated staff member owns its own slice of user ids, so its writes never
race another's and the last successful write per user is the expected state.
"""

import itertools
import json
import os
import random
import re
import uuid

from locust import HttpUser, between, events, task

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="([^"]+)"')
with open(os.environ["LOADTEST_IDS"]) as _ids:
    USER_IDS: list[int] = json.load(_ids)  # existing, non-superuser accounts
SLICES = int(os.environ.get("LOADTEST_USERS", "32"))
TERMS = ["anderson", "zelridge", "ma", "lindwood", "grace", "zo", "thornton", "example"]
WRITES: list[dict] = []  # every write the server confirmed (a redirect)
_slice_numbers = itertools.count()


class Staff(HttpUser):
    wait_time = between(0.05, 0.25)

    def on_start(self):
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
        self.client.get("/users/", name="list")

    @task(3)
    def search(self):
        self.client.get(f"/users/?q={random.choice(TERMS)}", name="search")

    @task(3)
    def detail(self):
        self.client.get(f"/users/{random.choice(self.ids)}/", name="detail")

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
        if response.status_code == 302:
            WRITES.append({"id": pk, "full_name": full_name, "is_active": True})

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
        if response.status_code == 302:
            WRITES.append({"id": pk, "is_active": action == "activate"})


@events.quitting.add_listener
def save_writes(environment, **kwargs):
    with open(os.environ["LOADTEST_WRITES"], "w") as handle:
        json.dump(WRITES, handle)
