"""Starred view open; a customs-fee scam sits in Spam."""
import json
import os
import subprocess
import urllib.request
import uuid

BASE_URL = "https://cua-gym-mail.xlang.ai"
HEADERS = {"User-Agent": "Mozilla/5.0", "Content-Type": "application/json"}


def call(path, payload=None):
    data = json.dumps(payload).encode() if payload is not None else None
    req = urllib.request.Request(f"{BASE_URL}{path}", data=data, headers=HEADERS)
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read().decode())


sid = str(uuid.uuid4())
with open("/tmp/task_web_sid", "w") as f:
    f.write(sid)

state = call(f"/go?sid={sid}")["initial_state"]
state["messages"].append({
    "id": "m105", "folder": "spam", "from_name": "Parcel Service", "from_email": "notice@parcel-hold-center.biz",
    "to": [state["account"]["email"]], "cc": [], "subject": "Your parcel is on hold: customs fee due",
    "body": "Pay the $2.99 customs fee within 12 hours to release it.", "date": "2026-03-18T06:48:00",
    "read": False, "starred": False, "labels": [], "attachments": [], "in_reply_to": None,
})
state["ui"]["view"] = "starred"
call(f"/post?sid={sid}", {"action": "set", "state": state})
assert call(f"/go?sid={sid}")["initial_state"] is not None, "initial state missing"

subprocess.Popen(["google-chrome", f"{BASE_URL}/?sid={sid}"], env={**os.environ, "DISPLAY": ":0"})
