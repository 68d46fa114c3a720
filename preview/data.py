"""Realistic sample data for the preview: a marketing team's workspace and its Bunce segments.

Fixed values (ids, dates, the signing key) so each run writes the same files: a designer can
diff two runs to see what a change did. Names carry emoji, `&` and long text on purpose, to show
the escaping and the truncation the real builders do.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.bunce.models import Segment
from bot.create.card import CardMaker
from bot.create.form import SegmentForm
from bot.create.marker import strip_marker
from bot.slack.metadata import MetadataSigner
from bot.store.records import Action, AuditEvent, WorkspaceKeyInfo
from bot.workspace.home_view import who_can_connect
from bot.workspace.model import HomeModel, PostedCard

# Any bytes: the signatures only have to look like the app's (the same HMAC, the same length).
SIGNER = MetadataSigner([b"preview-key-preview-key-preview!"])

TEAM = "T04BUNCE7QZ"
ANNA = "U05ANNA2K9L"  # head of marketing, a workspace admin; she connected Bunce
MARCO = "U05MARCO3B7"  # a marketer: creates and shares segments
INSTALLER = "U03NADIA8QX"  # installed the app
SPRING_CHANNEL = "C07SPRING24"  # #spring-launch
MARKETING = "C06MARKETNG"  # #marketing
VIP_TEAM = "C08VIPTEAM1"  # a channel the app is not in
THREAD_TS = "1710409320.123459"
RESPONSE_URL = "https://hooks.slack.com/commands/T04BUNCE7QZ/6812345678901/pR3vIeWxAmPl3ReSpOnSe"
URL_TEMPLATE = "https://app.bunce.so/segments/{id}"  # .env.example's BUNCE_SEGMENT_URL_TEMPLATE
CARDS = CardMaker(SIGNER, URL_TEMPLATE)

CREATED = datetime(2025, 3, 14, 9, 42, tzinfo=UTC)
KEY_SET = datetime(2025, 1, 8, 16, 5, tzinfo=UTC)
TESTED = datetime(2025, 3, 17, 8, 15, tzinfo=UTC)

DESCRIPTION = (
    "Customers who ordered twice or more since January and opened the spring preview email. "
    "We use it for early access to the spring collection, the launch-day code SPRING25 and the "
    "invitation to the in-store evening on 21 March. Keep it under 2,000 customers: ask in "
    "#marketing before adding anyone by hand, and don't add wholesale accounts <3"
)


def segment_id(name: str) -> str:
    """A Bunce-looking id (Bunce's ids are UUIDs), the same for the same name on every run."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://app.bunce.so/preview/{name}"))


def segment(
    name: str,
    *,
    description: str | None = None,
    all_customers: bool = False,
    count: int | None = None,
    created: datetime | None = CREATED,
) -> Segment:
    kind = "automatic" if all_customers else "manual"
    return Segment(segment_id(name), name, description, kind, all_customers, created, count)


# As Bunce returns it: the description starts with the app's marker, which the card hides.
SPRING = segment("Spring launch VIPs 🌷", description=f"via Slack #3f9a2c1e · {DESCRIPTION}")
SPRING_SHOWN = dataclasses.replace(SPRING, description=strip_marker(SPRING.description))
SPRING_WITH_COUNT = dataclasses.replace(SPRING_SHOWN, customers_count=1284)
WINBACK = segment(
    "Q2 win-back: lapsed & at-risk <customers>",
    description="No order in 6 months, but opened at least one email since.",
    count=3906,
)
EVERYONE = segment(
    "Everyone who ordered in 2024 🛍️", all_customers=True, count=48210, created=CREATED
)
BETA = segment("Mobile app beta testers", created=None)  # made in Bunce: no date, no count

SPRING_FORM = SegmentForm(
    name=SPRING.name, description=DESCRIPTION, add_all_customers=False, channel_id=SPRING_CHANNEL
)

# The search `/segment list VIPs` finds these; the one Marco created he may edit.
VIP_MATCHES = [
    SPRING_WITH_COUNT,
    segment("VIPs: Black Friday 2024 early access", count=812, created=CREATED - timedelta(118)),
    segment("Lapsed VIPs (no order in 6 months) — win-back email series", count=147, created=None),
]

# Enough for three pages of the list (10 a page); page 2 has Previous and Next.
CATALOG = [
    segment(name, count=count, created=CREATED - timedelta(days=4 * age, hours=3 * age))
    for age, (name, count) in enumerate(
        [
            ("Spring launch VIPs 🌷", 1284),
            ("Newsletter subscribers (EU)", 20417),
            ("Newsletter subscribers (US & Canada)", 15890),
            ("Abandoned basket, last 7 days", 392),
            ("First order in March", 655),
            ("Loyalty tier: Gold ⭐", 1730),
            ("Loyalty tier: Silver", 4102),
            ("Wholesale accounts", 58),
            ("Gift card buyers 2024", 2210),
            ("Referred a friend", 971),
            ("Store event: London, 21 March", 120),
            ("Store event: Manchester, 28 March", 96),
            ("Returned an item twice or more", 311),
            ("Subscribed to restock alerts", 5402),
            ("Mobile app beta testers", 0),
            ("Survey: said 'too expensive'", 188),
            ("Bought running shoes, not socks 🧦", 764),
            ("Birthday in April 🎂", 1912),
            ("Unsubscribed from SMS", 2035),
            ("Influencers & press", 41),
            ("Black Friday 2024 buyers", 9650),
            ("High return risk", 77),
            ("Pre-ordered the spring jacket", 503),
            ("Opened 5+ emails last month", 6321),
            ("Never opened an email", 12870),
            ("Staff accounts (exclude from campaigns)", 64),
        ]
    )
]

KEY = WorkspaceKeyInfo(TEAM, None, "live", "sk_live_…9f3K", ANNA, KEY_SET)
SANDBOX_KEY = WorkspaceKeyInfo(TEAM, None, "sandbox", "sk_test_…a71Q", ANNA, KEY_SET)


def _event(
    event_id: int,
    action: Action,
    *,
    at: datetime,
    user_id: str | None = None,
    channel_id: str | None = None,
    segment: Segment | None = None,
    detail: str | None = None,
) -> AuditEvent:
    return AuditEvent(
        id=event_id,
        at=at,
        enterprise_id=None,
        team_id=TEAM,
        user_id=user_id,
        action=action,
        channel_id=channel_id,
        segment_id=segment.id if segment else None,
        segment_name=segment.name if segment else None,
        detail=detail,
    )


def _created(
    event_id: int, seg: Segment, user: str, channel: str | None, at: datetime
) -> AuditEvent:
    return _event(
        event_id, Action.SEGMENT_CREATED, at=at, user_id=user, channel_id=channel, segment=seg
    )


RECENT = [
    _created(41, SPRING, MARCO, SPRING_CHANNEL, datetime(2025, 3, 14, 9, 42, tzinfo=UTC)),
    _created(38, WINBACK, ANNA, MARKETING, datetime(2025, 3, 11, 15, 3, tzinfo=UTC)),
    _created(35, EVERYONE, MARCO, None, datetime(2025, 3, 3, 10, 27, tzinfo=UTC)),
    _created(31, BETA, ANNA, VIP_TEAM, datetime(2025, 2, 26, 17, 48, tzinfo=UTC)),
]
POSTED = {
    SPRING.id: PostedCard(SPRING_CHANNEL, "1710409326.001200"),
    WINBACK.id: PostedCard(MARKETING, "1710169384.004500"),
}

CHECK_OK = _event(44, Action.KEY_VERIFIED, user_id=ANNA, detail="ok sk_live_…9f3K", at=TESTED)
CHECK_REJECTED = _event(
    45, Action.KEY_VERIFY_FAILED, user_id=ANNA, detail="rejected sk_live_…9f3K", at=TESTED
)
CHECK_UNAVAILABLE = _event(
    46, Action.KEY_VERIFY_FAILED, user_id=MARCO, detail="unavailable sk_live_…9f3K", at=TESTED
)


_HOME = HomeModel(
    key=KEY,
    is_admin=False,
    installer_id=INSTALLER,
    listed_admins=(ANNA,),
    segment_url_template=URL_TEMPLATE,
)


def home(**changes: Any) -> HomeModel:
    """This workspace's Home for one reader; `changes` say which state (HomeModel's fields)."""
    return dataclasses.replace(_HOME, **changes)


# Who can connect, as the app names them (AdminPolicy.who and the Home say it the same way).
WHO = who_can_connect(home(key=None))
