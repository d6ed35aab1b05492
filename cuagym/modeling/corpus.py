"""The built-in training text for the offline tiny tokenizer.

The tiny policy needs a tokenizer whose merges look like those of a real
computer-use model: English task instructions, words seen on web-app screens,
chat-role scaffolding and ``computer_use`` tool calls in JSON. Nothing may be
downloaded, so the text is generated here from word lists and templates with a
fixed-seed RNG: the same call always yields the same corpus, hence the same
tokenizer.
"""

from __future__ import annotations

import json
import random

UI_WORDS = (
    "button link menu dropdown checkbox radio toggle switch slider input field textbox textarea label "
    "placeholder tooltip dialog modal popup banner toast notification sidebar navbar header footer tab "
    "tabs panel card list item row column table cell grid icon avatar badge chip tag filter sort search "
    "submit cancel save delete remove edit rename duplicate archive restore undo redo copy paste cut "
    "open close expand collapse scroll drag drop upload download attach share export import print "
    "settings preferences profile account password username email login logout sign register "
    "dashboard home inbox outbox draft drafts sent trash spam folder folders file files document "
    "calendar event events meeting meetings reminder schedule date time today tomorrow yesterday week "
    "month year morning afternoon evening daily weekly monthly agenda invite attendee attendees "
    "kanban board boards lane lanes backlog todo doing done progress priority assignee due status "
    "notes note notebook title body content page pages heading paragraph bold italic underline "
    "chat channel channels message messages reply thread mention reaction emoji online offline "
    "shop cart checkout order orders product products price quantity total discount coupon shipping "
    "address payment card wishlist review reviews rating stock category categories brand size color "
    "window screen screenshot cursor mouse keyboard pointer click double right left middle press key "
    "enter escape backspace tab shift control alt command space arrow up down home end page"
).split()

ENGLISH_WORDS = (
    "the a an and or but if then else when while with without for from to into onto of on in at by "
    "is are was were be been being has have had do does did will would should could can may might must "
    "this that these those it its they them their there here what which who whom whose where why how "
    "all any each every some many more most few less least first last next previous new old same other "
    "user task goal step steps action actions agent state initial current golden reward success failure "
    "find create add set change update move make show hide select choose pick type enter write read "
    "check verify confirm mark complete finish start stop wait continue return go back forward "
    "please named called titled containing labeled between after before above below under over near "
    "one two three four five six seven eight nine ten hundred thousand only also just not no yes "
    "team project projects work personal family friends client clients customer customers report "
    "budget invoice invoices sales marketing design research review launch plan plans update updates "
    "important urgent high low medium normal public private shared"
).split()

COMMON_WORDS = (
    "about above across act active activity actually address admin advanced again against age agree "
    "ahead allow almost alone along already although always amount analysis animal another answer "
    "anyone anything appear application apply approve area argument around arrive article ask assign "
    "attention audio author automatic available average avoid away background balance bank base basic "
    "become begin behind believe benefit best better beyond bill bird black block blog blue book border "
    "bottom box break bring brown build building business buy camera campaign capital capture career "
    "carry case center certain chance chapter character charge chart cheap child choice circle city "
    "class clear clock cloud code coffee cold collect college comment common community company compare "
    "computer condition connect connection contact control cost country course cover credit culture "
    "cycle data database deal decide default define degree deliver department describe description "
    "detail details develop device different digital direct direction display distance doctor dollar "
    "door draw dream drive early earth easy economy education effect effort either element else empty "
    "energy engine enough entire entry environment error evidence exact example exist expect experience "
    "explain express extra face fact fall false famous fast feature feel field figure final financial "
    "fine fire flag floor flow focus follow food force form format former free front full function fund "
    "future game garden general give glass global good great green group grow guide half hand happen "
    "happy hard head health hear heart heavy help history hold holiday hope hospital hour house human "
    "idea image imagine include increase index industry information inside instead interest internal "
    "issue item job join journey keep kind kitchen know knowledge land language large later laugh layout "
    "lead learn leave legal length letter level library life light like limit line local location lock "
    "long look lose love machine main maintain major manage manager map market match matter maybe mean "
    "measure media member memory mention method middle mind minute mobile mode model modern moment money "
    "mother mountain music name nation nature need network never news night none north number object "
    "office often option original outside owner paper parent part party pass past path pattern pay "
    "people percent perform period person phone photo picture piece place player point policy popular "
    "position possible post power prepare present president pretty price problem process produce "
    "program property provide purpose push quality question quick quickly quite radio range rate rather "
    "reach ready real reason receive recent record reduce region relation release remain remember "
    "request require resource response rest result right river road room rule safe school science "
    "score season second section security seem sell send sense series serve service session several "
    "share short side sign signal simple single site situation skill small social software solution "
    "source south space speak special speed spend sport staff stage standard star station stay still "
    "store story street strong student study style subject summer support sure system take talk target "
    "teacher technology tell term test text thing think through ticket together tool top topic total "
    "toward town track trade train travel tree trip true trust turn under understand unit until usual "
    "value version video view visit voice wall want watch water website weight west while white whole "
    "wide winter within word world worry wrong young zone"
).split()

NAMES = (
    "Alice Bob Carol Dave Erin Frank Grace Heidi Ivan Judy Mallory Niaj Olivia Peggy Rupert Sybil "
    "Trent Victor Walter Yuki Zoe"
).split()

INSTRUCTION_TEMPLATES = (
    "Create a new {ui} named {name} in the {app} app.",
    "Open the {app} and {verb} the {ui} titled \"{title}\".",
    "Move the card \"{title}\" to the {lane} lane.",
    "Schedule a meeting with {name} {when} at {hour}:{minute:02d}.",
    "Send a message to {name} saying \"{title}\".",
    "Add {qty} items of {title} to the cart and check out.",
    "Rename the note \"{title}\" to \"{title2}\".",
    "Mark the task \"{title}\" as done and set its priority to {priority}.",
    "Delete every {ui} that was created {when}.",
    "Search for \"{title}\" and open the first result.",
    "Change the {ui} color to {color} in the settings page.",
    "Reply to the latest message from {name} with \"{title2}\".",
)

APPS = ("calendar", "kanban", "notes", "chat", "shop", "mail", "settings")
LANES = ("Backlog", "To Do", "Doing", "Review", "Done")
WHENS = ("today", "tomorrow", "yesterday", "next week", "on Monday", "on Friday", "this month")
PRIORITIES = ("low", "medium", "high", "urgent")
COLORS = ("red", "green", "blue", "yellow", "purple", "orange", "gray", "black", "white")
VERBS = ("open", "edit", "delete", "archive", "duplicate", "share", "rename", "close")
KEYS = ("Enter", "Escape", "Tab", "Backspace", "Delete", "ArrowUp", "ArrowDown", "ArrowLeft",
        "ArrowRight", "PageDown", "PageUp", "Home", "End", "ctrl+a", "ctrl+c", "ctrl+v", "ctrl+z",
        "ctrl+s", "shift+Tab", "alt+F4")
ACTIONS = ("left_click", "double_click", "right_click", "mouse_move", "left_click_drag", "type",
           "key", "scroll", "wait", "terminate")

COMPUTER_USE_TOOL = {
    "type": "function",
    "function": {
        "name": "computer_use",
        "description": "Use a mouse and keyboard to interact with a computer, and take screenshots.",
        "parameters": {
            "type": "object",
            "properties": {
                "action": {"type": "string", "enum": list(ACTIONS)},
                "coordinate": {"type": "array", "description": "(x, y) pixel coordinate"},
                "text": {"type": "string", "description": "text to type or key to press"},
                "pixels": {"type": "number", "description": "scroll amount, negative scrolls down"},
                "status": {"type": "string", "enum": ["success", "failure"]},
            },
            "required": ["action"],
        },
    },
}


def _title(rng: random.Random) -> str:
    words = rng.sample(ENGLISH_WORDS + UI_WORDS + COMMON_WORDS, rng.randint(1, 4))
    return " ".join(words).capitalize()


def _instruction(rng: random.Random) -> str:
    return rng.choice(INSTRUCTION_TEMPLATES).format(
        ui=rng.choice(UI_WORDS), name=rng.choice(NAMES), app=rng.choice(APPS), verb=rng.choice(VERBS),
        title=_title(rng), title2=_title(rng), lane=rng.choice(LANES), when=rng.choice(WHENS),
        hour=rng.randint(0, 23), minute=rng.choice((0, 15, 30, 45)), qty=rng.randint(1, 9),
        priority=rng.choice(PRIORITIES), color=rng.choice(COLORS),
    )


def _tool_call(rng: random.Random) -> str:
    action = rng.choice(ACTIONS)
    args: dict = {"action": action}
    if action in ("left_click", "double_click", "right_click", "mouse_move", "left_click_drag"):
        args["coordinate"] = [rng.randint(0, 1279), rng.randint(0, 719)]
    elif action == "type":
        args["text"] = _title(rng)
    elif action == "key":
        args["text"] = rng.choice(KEYS)
    elif action == "scroll":
        args["pixels"] = rng.choice((-500, -300, -100, 100, 300, 500))
    elif action == "wait":
        args["time"] = rng.choice((1, 2, 3))
    else:
        args["status"] = rng.choice(("success", "failure"))
    call = json.dumps({"name": "computer_use", "arguments": args}, ensure_ascii=False)
    return f"<tool_call>\n{call}\n</tool_call>"


def _episode(rng: random.Random) -> str:
    """One chat-shaped episode: instruction, a few reasoning + tool-call turns."""
    parts = [f"system\nYou are a helpful assistant.\n<tools>\n{json.dumps(COMPUTER_USE_TOOL)}\n</tools>",
             f"user\n{_instruction(rng)}"]
    for _ in range(rng.randint(1, 4)):
        thought = f"I should {rng.choice(VERBS)} the {rng.choice(UI_WORDS)} {rng.choice(('first', 'next', 'now'))}."
        parts.append(f"assistant\n<think>\n{thought}\n</think>\n\n{_tool_call(rng)}")
        parts.append(f"user\n<tool_response>\n{{\"status\": \"ok\", \"screen\": \"{_title(rng)}\"}}\n</tool_response>")
    return "\n".join(parts)


def build_corpus(seed: int = 0, episodes: int = 300) -> list[str]:
    """Deterministic list of training documents (plain text, JSON and chat episodes)."""
    if episodes < 1:
        raise ValueError(f"episodes must be a positive integer, got {episodes!r}")
    rng = random.Random(seed)
    docs = [" ".join(UI_WORDS), " ".join(ENGLISH_WORDS), " ".join(COMMON_WORDS), " ".join(NAMES)]
    docs += [w.capitalize() for w in UI_WORDS + ENGLISH_WORDS + COMMON_WORDS]
    for _ in range(episodes):
        docs.append(_instruction(rng))
        docs.append(_episode(rng))
    return docs
