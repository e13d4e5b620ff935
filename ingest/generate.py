"""Deterministic synthetic Greenery data: the seven raw tables as the course's CSV export.

The shop is simulated day by day so that daily arrival can be replayed by re-generating with a
later `end`. Everything before the window (products, promos, users created before `start`) comes
from a random stream keyed by (seed, scale, start); each day's newcomers, sessions, orders and
restocks from a stream keyed by (seed, scale, start, day). Nothing a user does depends on `end`:
`end` only decides which already-simulated facts are visible yet (an order's shipment and
delivery, a package_shipped event, today's inventory). Hence end=D+1 reproduces every row of end=D,
apart from orders advancing their status and products' inventory.

Each user carries a latent propensity: the expected number of orders over the default window,
spread evenly over its days, so the share of repeat buyers does not drift with scale.
"""

from __future__ import annotations

import csv
import hashlib
import random
from bisect import bisect
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ingest.schema import RAW_TABLES

DAY = 86_400
SITE = "https://greenary.com"
COUNTRY = "United States"

# Sizes per unit of scale, calibrated on the reference export (130 users, 361 orders, 578 sessions).
USERS_PER_SCALE = 130
PREWINDOW_USER_SHARE = 0.9
PRODUCTS_PER_TIER = 30
# Latent propensity: orders over the default window ~ Poisson(Gamma(shape, mean / shape)).
DORMANT_SHARE = 0.035
ORDERS_PER_WINDOW = 2.95
PROPENSITY_SHAPE = 8.0
BROWSE_SESSIONS_PER_ORDER = 0.6
# Orders.
NEW_ADDRESS_SHARE = 0.055
REUSE_ADDRESS_SHARE = 0.35
PROMO_SHARE = 0.11
MISSING_ESTIMATE_SHARE = 0.07
UNITS_PER_ORDER = 6  # ~2.4 products x ~2.5 each; sizes restock lots
SHIP_DELAY = (2 * 3600, 9 * 3600)
ESTIMATE_DAYS = 5
DELIVERY_DAYS = 7
# A session's clicks span at most this many seconds, so sessions start early enough to end today.
SESSION_SPAN = 1_800
LATEST_SESSION_START = DAY - SESSION_SPAN
CLICK_GAP = (5, 75)

CART_SIZE_WEIGHTS = (25, 37, 22, 10, 4, 1, 1)  # 1..7 products per order
EXTRA_VIEWS = 4  # a checkout session views 0..3 products it does not buy
VIEW_ONLY_WEIGHTS = (45, 35, 20)  # 1..3 page views
CART_BROWSE_VIEW_WEIGHTS = (30, 35, 25, 10)  # 1..4 page views
CART_BROWSE_ADD_WEIGHTS = (85, 13, 2)  # 1..3 abandoned cart adds
SERVICES = ("ups", "fedex", "usps", "dhl")
SERVICE_WEIGHTS = (50, 29, 18, 3)

PLANTS = (
    "Hoya Carnosa", "Prayer Plant", "Peperomia Hope", "Wandering Dude", "Kentia Palm",
    "Croton Petra", "Dumb Cane", "Parlor Palm", "Zebra Haworthia", "Echeveria Lola",
    "Staghorn Fern", "Maidenhair Fern", "Air Plant", "Venus Flytrap", "Pitcher Plant",
    "Holiday Cactus", "String of Hearts", "Chinese Evergreen", "Cast Iron Plant",
    "Polka Dot Plant", "Sago Palm", "Yucca Cane", "Guzmania", "Arrowhead Vine",
    "Mistletoe Cactus", "Satin Pothos", "Purple Shamrock", "Panda Plant", "Nerve Plant",
    "Burro's Tail",
)  # fmt: skip
PLANT_EDITIONS = ("Mini", "Large", "Hanging", "Grande", "Tabletop", "Variegated", "Gift Box")
PROMOS = ("sprout", "Green Thumb", "repot-ready", "Photosynthesis", "Bloom", "leaflet")
ACTIVE_PROMOS = 2

FIRST_NAMES = (
    "Abigail", "Adrian", "Alma", "Amos", "Ansel", "Astrid", "Bertram", "Bianca", "Caleb",
    "Camille", "Cyrus", "Dahlia", "Delphine", "Desmond", "Elias", "Elsa", "Emmett", "Fiona",
    "Gideon", "Greta", "Hazel", "Hugo", "Ida", "Ingrid", "Ivo", "Jasper", "Juno", "Keira",
    "Lars", "Leopold", "Lydia", "Magnus", "Marisol", "Mateo", "Nadia", "Nico", "Odette",
    "Orla", "Otis", "Petra", "Quincy", "Rafael", "Rosalind", "Rufus", "Selma", "Soren",
    "Tabitha", "Thaddeus", "Ursula", "Vivian", "Wendell", "Willa", "Xavier", "Yara", "Zelda",
)  # fmt: skip
LAST_NAMES = (
    "Abernathy", "Ashcombe", "Bellweather", "Birchall", "Blackwood", "Brambley", "Carrow",
    "Castellan", "Cheswick", "Dunmore", "Eastlake", "Fairbanks", "Fenwick", "Galloway",
    "Greaves", "Hartwell", "Holloway", "Ingram", "Jessop", "Kettering", "Lindqvist",
    "Marchetti", "Merriweather", "Nakamura", "Okafor", "O'Rourke", "Pemberton", "Quill",
    "Radcliffe", "Rosewood", "Saltonstall", "Thackeray", "Underhill", "Van Buren", "Whitlock",
    "Wren", "Yardley", "Zabriskie",
)  # fmt: skip
EMAIL_DOMAINS = (
    "mailbox.com", "inboxly.net", "postwise.org", "letterbox.io", "sendmail.net",
    "greenpost.com", "quickmail.co", "webnest.org", "hearth.io", "pigeonpost.com",
)  # fmt: skip
STREETS = (
    "Acorn", "Alder", "Amberwood", "Aspen Grove", "Bayberry", "Birchwood", "Bramble",
    "Briar Patch", "Cedar Knoll", "Chestnut", "Clover", "Cobblestone", "Cottonwood", "Driftwood",
    "Elderberry", "Fernwood", "Foxglove", "Goldenrod", "Hawthorn", "Heather", "Hemlock",
    "Honeysuckle", "Juniper", "Larkspur", "Laurel", "Magnolia", "Maplewood", "Marigold",
    "Mulberry", "Orchard", "Primrose", "Quarry", "Ridgeback", "Rosemary", "Sagebrush",
    "Sorrel", "Thistle", "Whispering Pines", "Willowbrook", "Yarrow",
)  # fmt: skip
STREET_KINDS = (
    "Street", "Avenue", "Lane", "Alley", "Road", "Drive", "Way", "Court", "Place", "Plaza",
    "Terrace", "Circle", "Trail", "Parkway", "Crossing", "Hill", "Point", "Pass", "Junction",
)  # fmt: skip
# (state, weight ~ population in millions, first and last 3-digit zip prefix)
STATES = (
    ("Alabama", 5, 350, 369), ("Alaska", 1, 995, 999), ("Arizona", 7, 850, 865),
    ("Arkansas", 3, 716, 729), ("California", 39, 900, 961), ("Colorado", 6, 800, 816),
    ("Connecticut", 4, 60, 69), ("Delaware", 1, 197, 199), ("District of Columbia", 1, 200, 205),
    ("Florida", 22, 320, 349), ("Georgia", 11, 300, 319), ("Hawaii", 1, 967, 968),
    ("Idaho", 2, 832, 838), ("Illinois", 13, 600, 629), ("Indiana", 7, 460, 479),
    ("Iowa", 3, 500, 528), ("Kansas", 3, 660, 679), ("Kentucky", 4, 400, 427),
    ("Louisiana", 5, 700, 714), ("Maine", 1, 39, 49), ("Maryland", 6, 206, 219),
    ("Massachusetts", 7, 10, 27), ("Michigan", 10, 480, 499), ("Minnesota", 6, 550, 567),
    ("Mississippi", 3, 386, 397), ("Missouri", 6, 630, 658), ("Montana", 1, 590, 599),
    ("Nebraska", 2, 680, 693), ("Nevada", 3, 889, 898), ("New Hampshire", 1, 30, 38),
    ("New Jersey", 9, 70, 89), ("New Mexico", 2, 870, 884), ("New York", 20, 100, 149),
    ("North Carolina", 11, 270, 289), ("North Dakota", 1, 580, 588), ("Ohio", 12, 430, 458),
    ("Oklahoma", 4, 730, 749), ("Oregon", 4, 970, 979), ("Pennsylvania", 13, 150, 196),
    ("Rhode Island", 1, 28, 29), ("South Carolina", 5, 290, 299), ("South Dakota", 1, 570, 577),
    ("Tennessee", 7, 370, 385), ("Texas", 30, 750, 799), ("Utah", 3, 840, 847),
    ("Vermont", 1, 50, 59), ("Virginia", 9, 220, 246), ("Washington", 8, 980, 994),
    ("West Virginia", 2, 247, 268), ("Wisconsin", 6, 530, 549), ("Wyoming", 1, 820, 831),
)  # fmt: skip


def _cumulative(weights: Iterable[float]) -> list[float]:
    """Cumulative weights normalised to 1, for picking with bisect(cum, random())."""
    cum = list(accumulate(weights))
    return [w / cum[-1] for w in cum]


CART_SIZE_CUM = _cumulative(CART_SIZE_WEIGHTS)
VIEW_ONLY_CUM = _cumulative(VIEW_ONLY_WEIGHTS)
CART_BROWSE_VIEW_CUM = _cumulative(CART_BROWSE_VIEW_WEIGHTS)
CART_BROWSE_ADD_CUM = _cumulative(CART_BROWSE_ADD_WEIGHTS)
SERVICE_CUM = _cumulative(SERVICE_WEIGHTS)
STATE_CUM = _cumulative(weight for _, weight, _, _ in STATES)


def default_days(scale: float) -> int:
    """Days in the default window: 4 like the reference at scale 1, longer for larger scales so
    daily volumes grow more slowly than totals."""
    return max(4, round(4 * scale**0.5))


def generate(
    out_dir: Path,
    *,
    scale: float = 1.0,
    seed: int = 42,
    start: date | None = None,
    end: date | None = None,
    only_day: date | None = None,
    days: int | None = None,
) -> dict[str, int]:
    """Write the seven CSVs (addresses, users, promos, products, orders, order_items, events)
    into out_dir; return row counts per table.

    The scale's totals are spread over `days` (default `default_days(scale)`): more days, the
    same shop, smaller days. `end` defaults to yesterday (UTC) and `start` to `days` days
    ending at `end`; `start` may be the day after `end`, which writes only what existed before
    the window. With `only_day`, only that day's new or changed rows are written, as of the end
    of that day, so that upserting them onto the files for end=only_day-1 gives the files for
    end=only_day.
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    end = end or datetime.now(UTC).date() - timedelta(days=1)
    days = days or default_days(scale)
    if days < 1:
        raise ValueError(f"days must be positive, got {days}")
    start = start or end - timedelta(days=days - 1)
    if start > end + timedelta(days=1):
        raise ValueError(f"start {start} is after end {end}")
    if only_day is not None and not start <= only_day <= end:
        raise ValueError(f"only_day {only_day} is outside {start}..{end}")
    run = _Run(seed=seed, scale=float(scale), start=start, days=days)
    out_dir.mkdir(parents=True, exist_ok=True)
    with _Tables(out_dir) as tables:
        if only_day is None:
            _write_full(run, end, tables)
        else:
            _write_day(run, only_day, tables)
    return tables.counts


# --- Plumbing: random streams, ids, formatting, output ---------------------------------------


@dataclass(frozen=True)
class _Run:
    """The parameters every random stream is keyed on, and the sizes derived from scale."""

    seed: int
    scale: float
    start: date
    days: int

    @property
    def horizon(self) -> int:
        """Days a user's propensity is spread over: the window's length, whatever `end` is, so
        that a history and a later `only_day` of the same window are one shop."""
        return self.days

    @property
    def n_products(self) -> int:
        return PRODUCTS_PER_TIER * max(1, round(self.scale**0.25))

    @property
    def start_ts(self) -> int:
        return _epoch(self.start)

    def streams(self, part: str) -> _Streams:
        """Independent streams for one part of the simulation ("base" or a day's ISO date)."""

        def key(purpose: str) -> int:
            text = f"{self.seed}|{self.scale!r}|{self.start.isoformat()}|{part}|{purpose}"
            return int.from_bytes(hashlib.sha256(text.encode()).digest()[:16], "big")

        return _Streams(
            py=random.Random(key("py")),
            vec=np.random.default_rng(key("vec")),
            ids=_uuid_stream(np.random.default_rng(key("ids"))).__next__,
            event_ids=_uuid_stream(np.random.default_rng(key("event_ids"))).__next__,
        )


class _Streams(NamedTuple):
    """Scalar draws (py), vector draws (vec), entity ids, and event ids (kept apart so that
    skipping events never shifts any other id)."""

    py: random.Random
    vec: np.random.Generator
    ids: Callable[[], str]
    event_ids: Callable[[], str]


_UUID_CHUNK = 4_096
_HEX_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_UUID_DIGIT_COLUMNS = np.array([i for i in range(36) if i not in (8, 13, 18, 23)])


def _uuid_stream(rng: np.random.Generator) -> Iterator[str]:
    """Endless uuid4-shaped ids from rng, drawn in fixed chunks so the n-th id does not depend
    on how many ids a run needs; vectorised because millions of events each need one."""
    while True:
        raw = rng.integers(0, 256, size=(_UUID_CHUNK, 16), dtype=np.uint8)
        raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
        raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
        nibbles = np.empty((_UUID_CHUNK, 32), dtype=np.uint8)
        nibbles[:, 0::2] = raw >> 4
        nibbles[:, 1::2] = raw & 0x0F
        text = np.full((_UUID_CHUNK, 36), ord("-"), dtype=np.uint8)
        text[:, _UUID_DIGIT_COLUMNS] = _HEX_DIGITS[nibbles]
        yield from text.view("S36").ravel().astype("U36").tolist()


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def _epoch(day: date) -> int:
    """Seconds since 1970 at the start of `day` (UTC)."""
    return (day.toordinal() - _EPOCH_ORDINAL) * DAY


class _Clock:
    """Formats epoch seconds as `YYYY-MM-DDTHH:MM:SSZ` from cached day and time-of-day strings;
    datetime formatting would dominate the run time at millions of events."""

    def __init__(self) -> None:
        self.times = [
            f"T{h:02d}:{m:02d}:{s:02d}Z" for h in range(24) for m in range(60) for s in range(60)
        ]
        self._days: dict[int, str] = {}

    def day(self, day_number: int) -> str:
        text = self._days.get(day_number)
        if text is None:
            text = date.fromordinal(_EPOCH_ORDINAL + day_number).isoformat()
            self._days[day_number] = text
        return text

    def __call__(self, ts: int) -> str:
        day_number, second = divmod(ts, DAY)
        return self.day(day_number) + self.times[second]


def _money(cents: int) -> str:
    """Dollars as the export writes them: 551.9, 121.0, 5.16."""
    return repr(round(cents / 100, 2))


class _Tables:
    """The seven open CSV writers, headers in the contract's column order, with row counts."""

    def __init__(self, out_dir: Path) -> None:
        self._files = {
            t.name: (out_dir / t.file_name).open("w", newline="", encoding="utf-8")
            for t in RAW_TABLES
        }
        self._writers = {}
        for table in RAW_TABLES:
            writer = csv.writer(self._files[table.name], lineterminator="\n")
            writer.writerow(table.columns)
            self._writers[table.name] = writer
        self.counts = {t.name: 0 for t in RAW_TABLES}

    def write(self, table: str, rows: Sequence[Sequence[str | int]]) -> None:
        self._writers[table].writerows(rows)
        self.counts[table] += len(rows)

    def __enter__(self) -> _Tables:
        return self

    def __exit__(self, *exc: object) -> None:
        for file in self._files.values():
            file.close()


# --- The shop's state ----------------------------------------------------------------------


class _Order(NamedTuple):
    """An order with its whole future (shipment, delivery) drawn at checkout; `row` shows only
    what is known by a given time."""

    head: tuple[str, ...]  # order_id .. order_total
    created: int
    shipped: int
    delivered: int
    tracking_id: str
    service: str
    estimate: str
    delivered_text: str

    def status(self, as_of: int) -> str:
        if self.shipped > as_of:
            return "preparing"
        return "shipped" if self.delivered > as_of else "delivered"

    def row(self, as_of: int) -> tuple[str, ...]:
        status = self.status(as_of)
        if status == "preparing":
            return (*self.head, "", "", "", "", status)
        delivered = self.delivered_text if status == "delivered" else ""
        return (*self.head, self.tracking_id, self.service, self.estimate, delivered, status)


@dataclass
class _Shop:
    """What persists from day to day: catalog, promos, users and their addresses, inventory."""

    clock: _Clock
    product_ids: list[str]
    product_urls: list[str]
    product_rows: list[tuple[str, str, str]]  # without inventory
    prices: list[int]
    inventory: list[int]
    restock_lot: int
    promos: list[tuple[str, int]]
    user_ids: list[str] = field(default_factory=list)
    user_addresses: list[str] = field(default_factory=list)
    rates: np.ndarray = field(default_factory=lambda: np.zeros(0))
    extra_addresses: dict[int, list[str]] = field(default_factory=dict)

    def product_table(self) -> list[tuple[str, str, str, int]]:
        return [(*row, inv) for row, inv in zip(self.product_rows, self.inventory, strict=True)]


@dataclass
class _Day:
    """Rows one simulated day creates; shipments carry their time, which may be tomorrow."""

    users: list[tuple[str, ...]] = field(default_factory=list)
    addresses: list[tuple[str, ...]] = field(default_factory=list)
    orders: list[_Order] = field(default_factory=list)
    items: list[tuple[str, str, int]] = field(default_factory=list)
    events: list[tuple[str, ...]] = field(default_factory=list)
    shipments: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)


def _propensities(rng: np.random.Generator, n: int, horizon: int) -> np.ndarray:
    """Expected orders per day for n new users; dormant users get 0 and never show up."""
    lam = rng.gamma(PROPENSITY_SHAPE, ORDERS_PER_WINDOW / PROPENSITY_SHAPE, n)
    return np.where(rng.random(n) < DORMANT_SHARE, 0.0, lam / horizon)


def _address(py: random.Random, ids: Callable[[], str]) -> tuple[str, str, str, str, str]:
    """A fake US street address; zip prefixes follow the state so a few start with 0."""
    digits = 1 + int(py.random() * 5)
    number = 1 + int(py.random() * (10**digits - 1))
    street = f"{number} {py.choice(STREETS)} {py.choice(STREET_KINDS)}"
    state, _, low, high = STATES[bisect(STATE_CUM, py.random())]
    zipcode = f"{py.randint(low, high) * 100 + py.randrange(100):05d}"
    return (ids(), street, zipcode, state, COUNTRY)


def _person(
    py: random.Random, ids: Callable[[], str], clock: _Clock, index: int, created: int, updated: int
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A user row and its default address row; the user's index keeps emails unique."""
    address = _address(py, ids)
    first, last = py.choice(FIRST_NAMES), py.choice(LAST_NAMES)
    handle = (first[0] + last).replace(" ", "").replace("'", "").lower()
    email = f"{handle}{index}@{py.choice(EMAIL_DOMAINS)}"
    phone = f"{py.randrange(200, 1000)}-{py.randrange(100, 1000)}-{py.randrange(10_000):04d}"
    user = (ids(), first, last, email, phone, clock(created), clock(updated), address[0])
    return user, address


def _product_name(plant: str, tier: int) -> str:
    """Larger scales sell more products: the same plants again in other editions."""
    if tier == 0:
        return plant
    edition = PLANT_EDITIONS[tier - 1] if tier <= len(PLANT_EDITIONS) else f"Edition {tier}"
    return f"{plant} ({edition})"


def _add_users(shop: _Shop, users: list[tuple[str, ...]], rates: np.ndarray) -> None:
    shop.user_ids.extend(user[0] for user in users)
    shop.user_addresses.extend(user[7] for user in users)
    shop.rates = np.concatenate([shop.rates, rates])


def _open_shop(run: _Run) -> tuple[_Shop, _Day, list[tuple[str, int, str]]]:
    """Everything that exists before `start`: catalog, promos, and the first users, who were
    created during the previous year. Returns the shop, its rows, and the promo rows."""
    s = run.streams("base")
    clock = _Clock()
    n = run.n_products
    product_ids = [s.ids() for _ in range(n)]
    names = [
        _product_name(plant, tier) for tier in range(n // PRODUCTS_PER_TIER) for plant in PLANTS
    ]
    prices = [1500 + 25 * int(320 * s.py.random() ** 1.5) for _ in range(n)]
    # Restock lots grow with daily demand per product so stock neither explodes nor stays at 0.
    orders_per_day = ORDERS_PER_WINDOW * USERS_PER_SCALE * run.scale / run.horizon
    lot = max(1, round(orders_per_day * UNITS_PER_ORDER / n / 20))
    promo_discounts = [s.py.randint(2, 25) for _ in PROMOS]
    shop = _Shop(
        clock=clock,
        product_ids=product_ids,
        product_urls=[f"{SITE}/product/{pid}" for pid in product_ids],
        product_rows=[
            (pid, name, _money(price))
            for pid, name, price in zip(product_ids, names, prices, strict=True)
        ],
        prices=prices,
        inventory=[lot * s.py.randint(40, 100) for _ in range(n)],
        restock_lot=lot,
        promos=list(zip(PROMOS, promo_discounts, strict=True)),
    )
    promo_rows = [
        (name, discount, "active" if i < ACTIVE_PROMOS else "inactive")
        for i, (name, discount) in enumerate(shop.promos)
    ]
    day = _Day()
    first_ts = run.start_ts - 365 * DAY
    for index in range(max(3, round(USERS_PER_SCALE * PREWINDOW_USER_SHARE * run.scale))):
        created = first_ts + int(s.py.random() * (365 * DAY - 1))
        updated = created + int(s.py.random() * (run.start_ts - 1 - created))
        user, address = _person(s.py, s.ids, clock, index, created, updated)
        day.users.append(user)
        day.addresses.append(address)
    _add_users(shop, day.users, _propensities(s.vec, len(day.users), run.horizon))
    return shop, day, promo_rows


# --- One day -------------------------------------------------------------------------------


class _DaySimulation:
    """Newcomers, sessions, orders and restocking of one day, drawn from that day's streams.

    With emit_events False the events are not built (their ids come from a stream of their
    own), which is all a delta for a later day needs from this one.
    """

    def __init__(self, run: _Run, shop: _Shop, day: date, emit_events: bool) -> None:
        self.run, self.shop, self.emit_events = run, shop, emit_events
        self.s = run.streams(day.isoformat())
        self.day0 = _epoch(day)
        self.date_text = shop.clock.day(self.day0 // DAY)
        self.out = _Day()
        self.sold = [0] * len(shop.product_ids)

    def run_day(self) -> _Day:
        earliest = self._newcomers()
        rates = self.shop.rates.copy()
        for user, first_second in earliest.items():
            rates[user] *= max(0.0, (LATEST_SESSION_START - first_second) / LATEST_SESSION_START)
        orders = self.s.vec.poisson(rates)
        browses = self.s.vec.poisson(rates * BROWSE_SESSIONS_PER_ORDER)
        for user, first_second in earliest.items():
            # Signing up happens in a visit: active newcomers get one session on their first day.
            if self.shop.rates[user] > 0 and first_second < LATEST_SESSION_START:
                if self.s.py.random() < 1 / (1 + BROWSE_SESSIONS_PER_ORDER):
                    orders[user] += 1
                else:
                    browses[user] += 1
        active = np.flatnonzero(orders + browses)
        for user, n_orders, n_browses in zip(
            active.tolist(), orders[active].tolist(), browses[active].tolist(), strict=True
        ):
            first_second = earliest.get(user, 0)
            for _ in range(n_orders):
                self._checkout_session(user, self._session_start(first_second))
            for _ in range(n_browses):
                self._browse_session(user, self._session_start(first_second))
        self._restock()
        return self.out

    def _newcomers(self) -> dict[int, int]:
        """Create today's new users; return their index -> first second they may browse."""
        s, shop, clock = self.s, self.shop, self.shop.clock
        new_share = USERS_PER_SCALE * (1 - PREWINDOW_USER_SHARE) * self.run.scale
        count = int(s.vec.poisson(new_share / self.run.horizon))
        seconds = sorted(int(s.py.random() * (DAY - 1)) for _ in range(count))
        earliest = {}
        for index, second in enumerate(seconds, start=len(shop.user_ids)):
            created = self.day0 + second
            updated = created + int(s.py.random() * (DAY - 1 - second))
            user, address = _person(s.py, s.ids, clock, index, created, updated)
            self.out.users.append(user)
            self.out.addresses.append(address)
            earliest[index] = second + 60  # no clicks before the account exists
        _add_users(shop, self.out.users, _propensities(s.vec, count, self.run.horizon))
        return earliest

    def _session_start(self, first_second: int) -> int:
        return first_second + int(self.s.py.random() * (LATEST_SESSION_START - first_second))

    def _clicks(
        self, session_id: str, user_id: str, second: int, viewed: list[int], added: set[int]
    ) -> int:
        """Page views of `viewed`, each followed by add_to_cart when in `added`; returns the
        second of the last click."""
        rand, shop = self.s.py.random, self.shop
        low, span = CLICK_GAP[0], CLICK_GAP[1] - CLICK_GAP[0]
        times, date_text, emit = shop.clock.times, self.date_text, self.emit_events
        event_id, events = self.s.event_ids, self.out.events
        for product in viewed:
            second += low + int(rand() * span)
            url, pid = shop.product_urls[product], shop.product_ids[product]
            if emit:
                ts = date_text + times[second]
                events.append((event_id(), session_id, user_id, url, ts, "page_view", "", pid))
            if product in added:
                second += low + int(rand() * span)
                if emit:
                    ts = date_text + times[second]
                    events.append(
                        (event_id(), session_id, user_id, url, ts, "add_to_cart", "", pid)
                    )
        return second

    def _browse_session(self, user: int, second: int) -> None:
        """A visit without checkout: views only, or a cart that is abandoned."""
        rand = self.s.py.random
        if rand() < 0.5:
            n_views, n_adds = 1 + bisect(VIEW_ONLY_CUM, rand()), 0
        else:
            n_views = 1 + bisect(CART_BROWSE_VIEW_CUM, rand())
            n_adds = min(n_views, 1 + bisect(CART_BROWSE_ADD_CUM, rand()))
        viewed = self.s.py.sample(range(len(self.shop.product_ids)), n_views)
        added = set(self.s.py.sample(viewed, n_adds))
        self._clicks(self.s.ids(), self.shop.user_ids[user], second, viewed, added)

    def _checkout_session(self, user: int, second: int) -> None:
        """Views, cart adds, and a checkout whose order holds exactly the added products."""
        s, shop = self.s, self.shop
        rand = s.py.random
        n_items = 1 + bisect(CART_SIZE_CUM, rand())
        viewed = s.py.sample(range(len(shop.product_ids)), n_items + int(rand() * EXTRA_VIEWS))
        added = set(s.py.sample(viewed, n_items))
        session_id, order_id, user_id = s.ids(), s.ids(), shop.user_ids[user]
        checkout = self._clicks(session_id, user_id, second, viewed, added)
        checkout += CLICK_GAP[0] + int(rand() * (CLICK_GAP[1] - CLICK_GAP[0]))
        created = self.day0 + checkout + int(rand() * 2)
        cost = 0
        for product in viewed:
            if product in added:
                quantity = 1 + int(rand() * 4)
                self.out.items.append((order_id, shop.product_ids[product], quantity))
                self.sold[product] += quantity
                cost += quantity * shop.prices[product]
        order = self._order(order_id, user, created, cost)
        if self.emit_events:
            ts = self.date_text + shop.clock.times[checkout]
            url = f"{SITE}/checkout/{order_id}"
            self.out.events.append(
                (s.event_ids(), session_id, user_id, url, ts, "checkout", order_id, "")
            )
            url = f"{SITE}/shipping/{order_id}"
            ts = shop.clock(order.shipped)
            shipped = (s.event_ids(), session_id, user_id, url, ts, "package_shipped", order_id, "")
            self.out.shipments.append((order.shipped, shipped))

    def _order(self, order_id: str, user: int, created: int, cost: int) -> _Order:
        """Price, address, promo and the order's future: shipment, estimate, delivery."""
        s, shop, clock = self.s, self.shop, self.shop.clock
        rand = s.py.random
        address_id = self._shipping_address(user)
        shipping = 100 + int(rand() * 900)
        promo_id, discount = "", 0
        if rand() < PROMO_SHARE:
            name, dollars = s.py.choice(shop.promos)
            if cost + shipping - 100 * dollars > 0:
                promo_id, discount = name, 100 * dollars
        shipped = created + SHIP_DELAY[0] + int(rand() * (SHIP_DELAY[1] - SHIP_DELAY[0] + 1))
        estimate = ""
        if rand() >= MISSING_ESTIMATE_SHARE:
            estimate = clock(created + (1 + int(rand() * ESTIMATE_DAYS)) * DAY)
        delivered = created + (1 + int(rand() * DELIVERY_DAYS)) * DAY
        service = SERVICES[bisect(SERVICE_CUM, rand())]
        head = (
            order_id,
            shop.user_ids[user],
            promo_id,
            address_id,
            clock(created),
            _money(cost),
            _money(shipping),
            _money(cost + shipping - discount),
        )
        tracking_id = s.ids()
        order = _Order(
            head, created, shipped, delivered, tracking_id, service, estimate, clock(delivered)
        )
        self.out.orders.append(order)
        return order

    def _shipping_address(self, user: int) -> str:
        """Usually the user's default address; sometimes a new or earlier other address."""
        draw = self.s.py.random()
        extras = self.shop.extra_addresses.get(user)
        if draw < NEW_ADDRESS_SHARE:
            address = _address(self.s.py, self.s.ids)
            self.out.addresses.append(address)
            self.shop.extra_addresses.setdefault(user, []).append(address[0])
            return address[0]
        if extras and draw < NEW_ADDRESS_SHARE + REUSE_ADDRESS_SHARE:
            return self.s.py.choice(extras)
        return self.shop.user_addresses[user]

    def _restock(self) -> None:
        """End of day: take today's sales off the shelf and reorder what runs low."""
        shop, rand = self.shop, self.s.py.random
        low = 15 * shop.restock_lot
        for product, sold in enumerate(self.sold):
            stock = max(0, shop.inventory[product] - sold)
            if stock < low:
                stock += shop.restock_lot * (40 + int(rand() * 61))
            shop.inventory[product] = stock


def _days(first: date, last: date) -> Iterator[date]:
    for offset in range((last - first).days + 1):
        yield first + timedelta(days=offset)


# --- Writing --------------------------------------------------------------------------------


def _write_full(run: _Run, end: date, tables: _Tables) -> None:
    """Every row that exists by the end of `end`, as of then."""
    shop, base, promo_rows = _open_shop(run)
    tables.write("promos", promo_rows)
    tables.write("users", base.users)
    tables.write("addresses", base.addresses)
    as_of = _epoch(end) + DAY - 1
    for day in _days(run.start, end):
        out = _DaySimulation(run, shop, day, emit_events=True).run_day()
        tables.write("users", out.users)
        tables.write("addresses", out.addresses)
        tables.write("orders", [order.row(as_of) for order in out.orders])
        tables.write("order_items", out.items)
        tables.write("events", out.events)
        tables.write("events", [row for ts, row in out.shipments if ts <= as_of])
    tables.write("products", shop.product_table())


def _write_day(run: _Run, only_day: date, tables: _Tables) -> None:
    """The rows that arrive on `only_day`: created that day, or changed by its end."""
    shop, _, _ = _open_shop(run)
    day_start = _epoch(only_day)
    as_of, before = day_start + DAY - 1, day_start - 1
    recent: list[_Order] = []  # orders that may still ship or be delivered on only_day
    for day in _days(run.start, only_day - timedelta(days=1)):
        emit = day == only_day - timedelta(days=1)
        out = _DaySimulation(run, shop, day, emit_events=emit).run_day()
        recent = [o for o in recent if o.created > before - (DELIVERY_DAYS + 1) * DAY]
        recent.extend(out.orders)
        tables.write("events", [row for ts, row in out.shipments if before < ts <= as_of])
    changed = [o.row(as_of) for o in recent if o.status(as_of) != o.status(before)]
    inventory_before = list(shop.inventory)
    out = _DaySimulation(run, shop, only_day, emit_events=True).run_day()
    tables.write("users", out.users)
    tables.write("addresses", out.addresses)
    tables.write("orders", changed + [order.row(as_of) for order in out.orders])
    tables.write("order_items", out.items)
    tables.write("events", out.events)
    tables.write("events", [row for ts, row in out.shipments if ts <= as_of])
    tables.write(
        "products",
        [
            row
            for row, stock in zip(shop.product_table(), inventory_before, strict=True)
            if row[3] != stock
        ],
    )
