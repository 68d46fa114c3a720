"""create_once on its own: a real BunceClient against the fake Bunce on loopback, one rule a test.

The worker tests (test_reliability, test_bunce_descriptions) reach create_once through the whole
app; here each rule of the exactly-once protocol is pinned directly, so a regression names the
rule it broke. Nothing of ours is mocked: the client, its limiter and the HTTP are real, and only
time is simulated. create_once waits only through the `sleep` it is given, and the limiter reads
the same simulated clock, so the production Policy runs as is (a minute of settling, 65 s
Retry-After waits) while the tests take milliseconds, and no test sleeps to synchronise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from bot.bunce import BunceClient, BunceClientFactory
from bot.bunce.limiter import RateLimiter
from bot.create.form import CreateResult, Problem, SegmentForm
from bot.create.marker import marker_of, with_marker
from bot.create.once import Hooks, Policy, create_once
from tests.fakes.bunce import FakeBunceApi, RecordedRequest

KEY = "sk_live_FAKEcreateONCEkey0042"
MARKER = "a1b2c3d4"
OTHER_MARKER = "0f0f0f0f"  # another submission's
NAME = "Spring VIPs"
DESCRIPTION = "Bought twice in March"
FORM = SegmentForm(name=NAME, description=DESCRIPTION, add_all_customers=True, channel_id="C1")
# The production bounds: time is simulated, so its long waits cost nothing.
POLICY = Policy()
# Real network timeouts, short: a loopback answer takes milliseconds (a second leaves room for a
# loaded machine), and a scripted lost answer (ANSWER_LOST) is held five times as long, so the
# client gives up on it every time. The fake abandons held answers when it stops.
TIMEOUT = (1.0, 1.0)
ANSWER_LOST = {"after_processing": True, "delay": 5.0}
FOREVER = 1000  # a fault repeated for more requests than any test makes


class SimulatedTime:
    """A clock that moves only when create_once waits: `sleep` records the wait, moves the clock
    and returns at once. `during_wait` lets Bunce change while "time passes" (a late commit);
    `shutdown_at` makes that wait, and every later one, report a shutdown (False)."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.waits: list[float] = []
        self.during_wait: Callable[[], None] | None = None
        self.shutdown_at: int | None = None

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> bool:
        self.waits.append(seconds)
        self.now += seconds
        if self.during_wait is not None:
            self.during_wait()
        return self.shutdown_at is None or len(self.waits) < self.shutdown_at


@dataclass
class Recorder:
    """What the worker's hooks were told, and how many POSTs Bunce had seen at each before_post
    (so "before every POST" is checked against what really arrived, not assumed)."""

    bunce: FakeBunceApi
    posts_seen_at_before_post: list[int] = field(default_factory=list)
    baselines: list[frozenset[str] | None] = field(default_factory=list)
    unconfirmed: int = 0
    on_before_post: Callable[[int], None] | None = None

    def hooks(self) -> Hooks:
        return Hooks(
            before_post=self._before_post,
            keep_baseline=self.baselines.append,
            unconfirmed=self._unconfirmed,
        )

    def _before_post(self) -> None:
        self.posts_seen_at_before_post.append(len(posts(self.bunce)))
        if self.on_before_post is not None:
            self.on_before_post(len(self.posts_seen_at_before_post))

    def _unconfirmed(self) -> None:
        self.unconfirmed += 1


@pytest.fixture
def bunce() -> Iterator[FakeBunceApi]:
    with FakeBunceApi() as fake:
        fake.add_key(KEY)
        yield fake
        assert fake.server_errors == []  # a crash in the fake would make any result meaningless


@pytest.fixture
def clock() -> SimulatedTime:
    return SimulatedTime()


@pytest.fixture
def limiter(clock: SimulatedTime) -> RateLimiter:
    """The process-wide limiter, on simulated time: a wait create_once skips would show."""
    return RateLimiter(clock=clock.monotonic)


@pytest.fixture
def client(bunce: FakeBunceApi, limiter: RateLimiter) -> Iterator[BunceClient]:
    factory = BunceClientFactory(
        bunce.live_url, bunce.sandbox_url, timeout=TIMEOUT, read_timeout=TIMEOUT, limiter=limiter
    )
    yield factory.for_key(KEY)
    factory.close()


@pytest.fixture
def recorder(bunce: FakeBunceApi) -> Recorder:
    return Recorder(bunce)


def run(
    client: BunceClient,
    clock: SimulatedTime,
    recorder: Recorder,
    *,
    form: SegmentForm = FORM,
    resume: bool = False,
    baseline: frozenset[str] | None = None,
) -> CreateResult:
    return create_once(
        client,
        form,
        MARKER,
        resume=resume,
        hooks=recorder.hooks(),
        sleep=clock.sleep,
        policy=POLICY,
        baseline=baseline,
    )


def posts(bunce: FakeBunceApi) -> list[RecordedRequest]:
    return [r for r in bunce.requests if r.method == "POST"]


def kinds(bunce: FakeBunceApi) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in bunce.requests]


def only_segment(bunce: FakeBunceApi) -> dict:
    stored = bunce.segments(KEY)
    assert len(stored) == 1, stored
    return stored[0]


def assert_created(result: CreateResult, stored: dict) -> None:
    """The result is the segment Bunce holds, not a look-alike and not a problem."""
    assert result.problem is None and result.bunce_message is None
    assert result.segment is not None
    assert (result.segment.id, result.segment.name) == (stored["id"], stored["name"])


def assert_before_every_post(recorder: Recorder) -> None:
    """before_post ran once per POST Bunce received, each time before that POST arrived."""
    assert recorder.posts_seen_at_before_post == list(range(len(posts(recorder.bunce))))


# -- the happy path ------------------------------------------------------------------------------


def test_a_clean_create_reads_the_namesakes_then_posts_once(
    bunce: FakeBunceApi, client: BunceClient, clock: SimulatedTime, recorder: Recorder
) -> None:
    result = run(client, clock, recorder)

    stored = only_segment(bunce)
    assert_created(result, stored)
    assert kinds(bunce) == [("GET", "/segments"), ("POST", "/segments")]
    sent = posts(bunce)[0].json
    assert sent == {
        "name": NAME,
        "add_all_customers": True,
        "description": with_marker(DESCRIPTION, MARKER),
    }
    assert marker_of(stored["description"]) == MARKER  # so a lost answer could find it again
    assert recorder.baselines == [frozenset()]  # no namesake existed before the POST
    assert_before_every_post(recorder)
    assert recorder.unconfirmed == 0
    assert clock.waits == []  # nothing to wait for


# -- an ambiguous failure after Bunce committed --------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(ANSWER_LOST, id="read-timeout"),
        pytest.param({"reset": True, "after_processing": True}, id="connection-reset"),
        pytest.param({"status": 500, "after_processing": True}, id="500"),
        pytest.param({"status": 502, "after_processing": True}, id="502-gateway"),
        pytest.param(
            {"status": 200, "body": "<html>", "content_type": "text/html"}
            | {"after_processing": True},
            id="unreadable-200",
        ),
    ],
)
def test_an_answer_lost_after_the_commit_is_found_by_its_marker_not_posted_again(
    bunce: FakeBunceApi,
    client: BunceClient,
    clock: SimulatedTime,
    recorder: Recorder,
    fault: dict,
) -> None:
    bunce.fail_next(**fault, method="POST")

    result = run(client, clock, recorder)

    stored = only_segment(bunce)
    assert_created(result, stored)
    assert len(posts(bunce)) == 1  # never re-sent: it would have made a second segment
    after_post = kinds(bunce)[kinds(bunce).index(("POST", "/segments")) + 1 :]
    assert after_post and set(after_post) == {("GET", "/segments")}  # looked, then stopped
    assert_before_every_post(recorder)
    assert recorder.unconfirmed == 0  # found at the first look: nobody needs telling to wait


@pytest.mark.parametrize(
    "rewrite",
    [
        pytest.param(lambda d: None, id="dropped"),
        pytest.param(lambda d: "Imported segment", id="replaced"),
        pytest.param(lambda d: d[:8] if d else d, id="cut-before-the-marker-ends"),
    ],
)
def test_a_segment_whose_description_bunce_rewrote_is_found_by_name_against_the_baseline(
    bunce: FakeBunceApi,
    client: BunceClient,
    clock: SimulatedTime,
    recorder: Recorder,
    rewrite: Callable[[str | None], str | None],
) -> None:
    older = {
        bunce.add_segment(KEY, NAME)["id"],
        bunce.add_segment(KEY, "  spring   VIPS ")["id"],  # the same name as Bunce may keep it
    }
    bunce.add_segment(KEY, "Autumn VIPs")  # another name: never a candidate
    bunce.description_rewrite = rewrite
    bunce.fail_next(**ANSWER_LOST, method="POST")

    result = run(client, clock, recorder)

    assert recorder.baselines == [frozenset(older)]
    new = [s for s in bunce.segments(KEY) if s["id"] not in older and s["name"] == NAME]
    assert len(new) == 1 and marker_of(new[0]["description"]) is None
    assert_created(result, new[0])
    assert len(posts(bunce)) == 1
    assert len(bunce.segments(KEY)) == 4
    assert_before_every_post(recorder)


def test_a_namesake_that_existed_before_the_first_post_is_not_taken_as_ours(
    bunce: FakeBunceApi, client: BunceClient, clock: SimulatedTime, recorder: Recorder
) -> None:
    older = bunce.add_segment(KEY, NAME)  # no marker, like any segment made outside Slack
    bunce.fail_next(503, method="POST")  # answered, nothing created: ambiguous to the client

    result = run(client, clock, recorder)

    assert recorder.baselines == [frozenset({older["id"]})]
    assert len(posts(bunce)) == 2  # absence confirmed, so the retry cannot duplicate
    ours = [s for s in bunce.segments(KEY) if s["id"] != older["id"]]
    assert len(ours) == 1 and marker_of(ours[0]["description"]) == MARKER
    assert_created(result, ours[0])
    first_post = kinds(bunce).index(("POST", "/segments"))
    assert kinds(bunce)[first_post + 1 : -1].count(("GET", "/segments")) >= 2  # looked twice
    assert_before_every_post(recorder)


def test_a_new_namesake_with_another_submissions_marker_is_not_ours(
    bunce: FakeBunceApi, client: BunceClient, clock: SimulatedTime, recorder: Recorder
) -> None:
    # Someone else created the same name from Slack after our baseline was kept.
    theirs = bunce.add_segment(KEY, NAME, description=with_marker("", OTHER_MARKER))

    result = run(client, clock, recorder, resume=True, baseline=frozenset())

    assert len(posts(bunce)) == 1
    ours = [s for s in bunce.segments(KEY) if s["id"] != theirs["id"]]
    assert len(ours) == 1
    assert_created(result, ours[0])


def test_two_new_unmarked_namesakes_are_never_guessed_between(
    bunce: FakeBunceApi, client: BunceClient, clock: SimulatedTime, recorder: Recorder
) -> None:
    bunce.add_segment(KEY, NAME)
    bunce.add_segment(KEY, NAME)  # both new since the baseline: either could be ours

    result = run(client, clock, recorder, resume=True, baseline=frozenset())

    assert result == CreateResult(problem=Problem.UNCONFIRMED)
    assert posts(bunce) == []  # one of them may be ours: a POST could be a third
    assert len(bunce.segments(KEY)) == 2


# -- certainly not processed: sent again ---------------------------------------------------------


def test_a_429_waits_retry_after_then_posts_again_without_looking(
    bunce: FakeBunceApi, client: BunceClient, clock: SimulatedTime, recorder: Recorder
) -> None:
    bunce.fail_next(429, headers={"Retry-After": "30"}, method="POST")

    result = run(client, clock, recorder)

    assert_created(result, only_segment(bunce))
    assert kinds(bunce) == [("GET", "/segments"), ("POST", "/segments"), ("POST", "/segments")]
    assert clock.waits == [30.0]  # Retry-After, honoured (the limiter holds to it too)
    assert_before_every_post(recorder)


def test_a_429_longer_than_the_policy_waits_is_rate_limited_not_waited_out(
    bunce: FakeBunceApi, client: BunceClient, clock: SimulatedTime, recorder: Recorder
) -> None:
    too_long = int(POLICY.max_rate_wait) + 60
    bunce.fail_next(429, headers={"Retry-After": str(too_long)}, method="POST")

    result = run(client, clock, recorder)

    assert result == CreateResult(problem=Problem.RATE_LIMITED)
    assert len(posts(bunce)) == 1
    assert bunce.segments(KEY) == []
    assert clock.waits == []  # the person hears now, rather than after minutes of silence


def test_a_refused_connection_is_posted_again_once_bunce_is_back(
    bunce: FakeBunceApi, client: BunceClient, clock: SimulatedTime, recorder: Recorder
) -> None:
    # Bunce is down (nothing listens), and comes back while create_once waits to retry.
    client.base_url = bunce.connection_refused_url

    def back_up() -> None:
        client.base_url = bunce.live_url

    clock.during_wait = back_up

    result = run(client, clock, recorder)

    assert_created(result, only_segment(bunce))
    assert recorder.baselines == [None]  # the list could not be read before the first POST
    assert len(recorder.posts_seen_at_before_post) == 2  # the refused POST, then the real one
    assert kinds(bunce) == [("POST", "/segments")]  # refused means unsent: no need to look
    assert len(clock.waits) == 1


def test_this_processs_rate_limit_holds_the_requests_back_then_sends_each_once(
    bunce: FakeBunceApi,
    client: BunceClient,
    clock: SimulatedTime,
    recorder: Recorder,
    limiter: RateLimiter,
) -> None:
    limiter.pause(20)  # as after another worker's 429: nothing may go for 20 s

    result = run(client, clock, recorder)

    assert_created(result, only_segment(bunce))
    assert kinds(bunce) == [("GET", "/segments"), ("POST", "/segments")]
    assert clock.waits == [20.0]
    assert recorder.baselines == [frozenset()]


def test_a_server_error_for_a_long_description_is_retried_cut_to_255_characters(
    bunce: FakeBunceApi, client: BunceClient, clock: SimulatedTime, recorder: Recorder
) -> None:
    bunce.description_max, bunce.description_overflow = 255, "error"  # a strict VARCHAR(255)
    form = SegmentForm(NAME, "x" * 900)

    result = run(client, clock, recorder, form=form)

    assert_created(result, only_segment(bunce))
    first, second = (r.json["description"] for r in posts(bunce))
    assert len(first) > 255 and len(second) <= 255
    assert marker_of(second) == MARKER
    assert_before_every_post(recorder)


# -- resuming after a crash ----------------------------------------------------------------------


@pytest.mark.parametrize("baseline", [frozenset(), None], ids=["baseline", "no-baseline"])
def test_a_resume_finds_the_segment_by_marker_without_posting(
    bunce: FakeBunceApi,
    client: BunceClient,
    clock: SimulatedTime,
    recorder: Recorder,
    baseline: frozenset[str] | None,
) -> None:
    # The first attempt's POST was committed, then the process died before it heard back.
    bunce.add_segment(KEY, NAME, description=with_marker(DESCRIPTION, MARKER))

    result = run(client, clock, recorder, resume=True, baseline=baseline)

    assert_created(result, only_segment(bunce))
    assert posts(bunce) == []
    assert recorder.posts_seen_at_before_post == []
    assert recorder.baselines == []  # the first attempt's baseline stands; none is retaken


def test_a_resume_finds_an_unmarked_segment_by_name_against_the_first_baseline(
    bunce: FakeBunceApi, client: BunceClient, clock: SimulatedTime, recorder: Recorder
) -> None:
    older = bunce.add_segment(KEY, NAME)
    ours = bunce.add_segment(KEY, NAME)  # created by the crashed attempt; description dropped

    result = run(client, clock, recorder, resume=True, baseline=frozenset({older["id"]}))

    assert_created(result, ours)
    assert posts(bunce) == []


def test_a_resume_that_finds_nothing_waits_out_the_settle_time_then_posts_once(
    bunce: FakeBunceApi, client: BunceClient, clock: SimulatedTime, recorder: Recorder
) -> None:
    older = bunce.add_segment(KEY, NAME)

    result = run(client, clock, recorder, resume=True, baseline=frozenset({older["id"]}))

    ours = [s for s in bunce.segments(KEY) if s["id"] != older["id"]]
    assert len(ours) == 1
    assert_created(result, ours[0])
    assert len(posts(bunce)) == 1
    assert recorder.unconfirmed == 1  # told once that confirming takes a while
    # Patient (the earlier request may still be committing) but bounded by settle_seconds.
    assert POLICY.recheck_delay < sum(clock.waits) <= POLICY.settle_seconds
    assert kinds(bunce).index(("POST", "/segments")) >= 3  # several looks before sending


def test_a_create_bunce_never_answered_is_looked_for_until_it_commits(
    bunce: FakeBunceApi, client: BunceClient, clock: SimulatedTime, recorder: Recorder
) -> None:
    # The POST gets no answer (a gateway timeout) and commits late, after a non-patient
    # reconcile would have given up (two looks) and posted again.
    bunce.fail_next(504, method="POST")

    def commits_after_two_looks() -> None:
        first_post = kinds(bunce).index(("POST", "/segments"))
        looks = kinds(bunce)[first_post:].count(("GET", "/segments"))
        if looks >= 2 and not bunce.segments(KEY):
            bunce.add_segment(KEY, NAME, description=with_marker(DESCRIPTION, MARKER))

    clock.during_wait = commits_after_two_looks

    result = run(client, clock, recorder)

    assert_created(result, only_segment(bunce))
    assert len(posts(bunce)) == 1
    assert recorder.unconfirmed == 1


def test_a_shutdown_while_waiting_leaves_the_rest_to_recovery(
    bunce: FakeBunceApi, client: BunceClient, clock: SimulatedTime, recorder: Recorder
) -> None:
    bunce.fail_next(503, method="POST")
    clock.shutdown_at = 1

    result = run(client, clock, recorder)

    assert result == CreateResult(problem=Problem.UNCONFIRMED)
    assert kinds(bunce) == [("GET", "/segments"), ("POST", "/segments")]  # nothing after
    assert len(clock.waits) == 1


# -- Bunce down throughout -----------------------------------------------------------------------


def _refused(bunce: FakeBunceApi, client: BunceClient) -> None:
    client.base_url = bunce.connection_refused_url


def _everything_503(bunce: FakeBunceApi, client: BunceClient) -> None:
    bunce.fail_next(503, times=FOREVER)


def _every_create_503(bunce: FakeBunceApi, client: BunceClient) -> None:
    bunce.fail_next(503, times=FOREVER, method="POST")


def _commit_then_lists_fail(bunce: FakeBunceApi, client: BunceClient) -> None:
    bunce.fail_next(504, after_processing=True, method="POST")
    bunce.fail_next(503, times=FOREVER, method="GET")


def _every_answer_lost(bunce: FakeBunceApi, client: BunceClient) -> None:
    bunce.fail_next(**ANSWER_LOST, times=FOREVER)


@pytest.mark.parametrize(
    ("outage", "problem", "attempts", "expected_posts", "expected_segments"),
    [
        # Refused: certainly unsent, so every attempt is a POST that never arrives.
        pytest.param(_refused, Problem.UNAVAILABLE, POLICY.max_attempts, 0, 0, id="refused"),
        pytest.param(_everything_503, Problem.UNCONFIRMED, 1, 1, 0, id="everything-503"),
        pytest.param(
            _every_create_503,
            Problem.UNAVAILABLE,
            POLICY.max_attempts,
            POLICY.max_attempts,
            0,
            id="creates-503-lists-fine",
        ),
        pytest.param(_commit_then_lists_fail, Problem.UNCONFIRMED, 1, 1, 1, id="commit-then-503"),
        pytest.param(_every_answer_lost, Problem.UNCONFIRMED, 1, 1, 1, id="every-answer-lost"),
    ],
)
def test_bunce_down_throughout_is_a_problem_and_never_two_segments(
    bunce: FakeBunceApi,
    client: BunceClient,
    clock: SimulatedTime,
    recorder: Recorder,
    outage: Callable[[FakeBunceApi, BunceClient], None],
    problem: Problem,
    attempts: int,
    expected_posts: int,
    expected_segments: int,
) -> None:
    outage(bunce, client)

    result = run(client, clock, recorder)

    assert result == CreateResult(problem=problem)
    assert len(posts(bunce)) == expected_posts
    assert len(bunce.segments(KEY)) == expected_segments <= 1
    # One before_post per attempt to send, whether or not the POST got through; while the
    # outcome of a sent POST is unknown, no further attempt is made.
    assert len(recorder.posts_seen_at_before_post) == attempts
    assert recorder.posts_seen_at_before_post == sorted(recorder.posts_seen_at_before_post)


# -- Bunce's final answers -----------------------------------------------------------------------


def test_values_bunce_refuses_are_invalid_with_its_message_and_not_retried(
    bunce: FakeBunceApi, client: BunceClient, clock: SimulatedTime, recorder: Recorder
) -> None:
    result = run(client, clock, recorder, form=SegmentForm("n" * 256))

    assert result == CreateResult(
        problem=Problem.INVALID,
        bunce_message="The name field must not be greater than 255 characters.",
    )
    assert len(posts(bunce)) == 1
    assert bunce.segments(KEY) == []


def test_a_key_bunce_rejects_is_final_and_not_retried(
    bunce: FakeBunceApi, client: BunceClient, clock: SimulatedTime, recorder: Recorder
) -> None:
    stranger = BunceClientFactory(bunce.live_url, bunce.sandbox_url, timeout=TIMEOUT)
    revoked = stranger.for_key("sk_live_FAKEnotREGISTEREDkey99")  # unknown to this Bunce

    result = run(revoked, clock, recorder)
    stranger.close()

    assert result == CreateResult(problem=Problem.KEY_REJECTED)
    assert len(posts(bunce)) == 1
    assert bunce.segments(KEY) == []


# -- before_post ---------------------------------------------------------------------------------


def test_before_post_runs_before_every_post_that_reaches_bunce(
    bunce: FakeBunceApi, client: BunceClient, clock: SimulatedTime, recorder: Recorder
) -> None:
    bunce.fail_next(503, times=2, method="POST")  # two answered failures, then a create
    bunce.fail_next(429, headers={"Retry-After": "1"}, method="POST")

    result = run(client, clock, recorder)

    assert_created(result, only_segment(bunce))
    assert len(posts(bunce)) == 4 == POLICY.max_attempts
    # At its k-th call Bunce had received exactly k-1 POSTs: each ran before its own POST.
    assert recorder.posts_seen_at_before_post == [0, 1, 2, 3]


def test_without_a_baseline_an_unmarked_namesake_is_never_taken_as_absent(
    bunce: FakeBunceApi, client: BunceClient, clock: SimulatedTime, recorder: Recorder
) -> None:
    """The namesake read before the first POST failed, so nobody knows which segments are new;
    Bunce then dropped the description (and our marker) and the POST's answer was lost. The
    namesake Bunce lists may well be ours: posting again could make a second one."""
    bunce.fail_next(503, method="GET")  # the baseline read: no baseline
    bunce.description_rewrite = lambda d: None
    bunce.fail_next(**ANSWER_LOST, method="POST")

    result = run(client, clock, recorder)

    assert recorder.baselines in ([], [None])
    assert len(posts(bunce)) == 1
    assert len(bunce.segments(KEY)) == 1
    assert result.segment is None and result.problem is not None
    assert_before_every_post(recorder)
