"""Key layout: buckets stable across processes, a commit's keys on one cluster slot."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from redis.crc import key_slot

from bot.core.commands import TimerKind
from storage.keys import (
    BUCKETS,
    Keys,
    bucket_of,
    parse_queue_member,
    parse_timer_member,
    queue_member,
    timer_member,
)

# no whitespace, no controls, no lone surrogates (not valid in a UTF-8 id)
ids = st.text(
    st.characters(blacklist_categories=("Zs", "Cc", "Zl", "Zp", "Cs")), min_size=1, max_size=40
)


def test_buckets_are_crc32_and_do_not_depend_on_the_process() -> None:
    # fixed values: Python's hash() would differ per process and move conversations
    assert [bucket_of(c) for c in ("conv-1", "conv-2", "7494726673780148744")] == [12, 54, 28]
    assert {bucket_of(f"conv-{n}") for n in range(2000)} == set(range(BUCKETS))


@given(ids, ids, ids)
def test_every_key_of_a_commit_is_on_one_cluster_slot(
    conversation_id: str, request_id: str, event_id: str
) -> None:
    keys = Keys("rb")
    bucket = bucket_of(conversation_id)
    commit_keys = [
        keys.conversation(conversation_id),
        keys.timers(bucket),
        keys.queue(bucket),
        keys.outbox_ready(bucket),
        keys.outbox_data(bucket),
        keys.outbox_queue(conversation_id),
        keys.event(conversation_id, event_id),
        keys.offer(conversation_id, request_id),
        keys.dead(bucket),
        keys.dead_index(bucket),
        keys.messages(conversation_id),
    ]
    assert len({key_slot(key.encode()) for key in commit_keys}) == 1
    assert all(key.startswith(f"rb:{{b{bucket}}}:") for key in commit_keys)


@given(st.sampled_from(TimerKind), ids, ids)
def test_members_split_back_into_their_ids(
    kind: TimerKind, conversation_id: str, request_id: str
) -> None:
    assert parse_timer_member(timer_member(kind, conversation_id, request_id)) == (
        kind,
        conversation_id,
        request_id,
    )
    assert parse_queue_member(queue_member(request_id, conversation_id)) == (
        request_id,
        conversation_id,
    )
