#!/usr/bin/env python3
"""The broker's view of the consumer group vaksin-ticket and of its output, for the fencing tests
(tests/integration/eos_*_fencing.sh), from Confluent's Python client (its own librdkafka).

    group_probe.py BOOTSTRAP COMMAND [ARGS]

PARTS: comma-separated partition numbers, or "all"; a request's outputs go to its own partition
number, every topic being keyed by NIK.
  members [GROUP TOPIC]  one line per member: its client.id and its partitions of the input
                      topic (or of TOPIC, in GROUP)
  open PARTS          records of the output topics (target events, dead letters) there that
                      read_uncommitted sees and read_committed does not yet (high watermark -
                      last stable offset): the output of open transactions
  committed PARTS     the group's committed offsets of the input topic there, summed
  freeze PID PARTS N  SIGSTOPs PID until it is caught with at least N open records there and
                      no offsets in its transaction yet (thawing it for 5-50 ms after each
                      miss, for 60 s at most); prints the number of stops and of open records
                      and leaves it stopped. After its TxnOffsetCommit a transaction has passed
                      the group checks, and whoever takes over its partitions must wait for it.
"""
import os
import random
import signal
import sys
import time

from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient

GROUP, INPUT = "vaksin-ticket", "vaksin.ticket.requests"
OUTPUTS = ("vaksin.target.events", "vaksin.dead-letters")
if len(sys.argv) < 3:
    sys.exit(__doc__)
bootstrap, cmd, args = sys.argv[1], sys.argv[2], sys.argv[3:]
admin = AdminClient({"bootstrap.servers": bootstrap})


def partitions(spec):
    if spec == "all":
        return sorted(admin.list_topics(INPUT, timeout=30).topics[INPUT].partitions)
    return [int(p) for p in spec.split(",")]


class Ends:
    """The read_committed (last stable offset) and read_uncommitted (high watermark) ends."""

    def __init__(self, parts):
        self.tps = [TopicPartition(t, p) for t in OUTPUTS for p in parts]
        self.c = [Consumer({"bootstrap.servers": bootstrap, "group.id": "vaksin-test-ends",
                            "isolation.level": iso, "enable.auto.commit": False})
                  for iso in ("read_committed", "read_uncommitted")]

    def open(self):
        lso, hw = ([c.get_watermark_offsets(tp, timeout=30)[1] for tp in self.tps] for c in self.c)
        return sum(h - s for s, h in zip(lso, hw))

    def close(self):
        for c in self.c:
            c.close()


def offsets(parts, stable):
    req = [ConsumerGroupTopicPartitions(GROUP, [TopicPartition(INPUT, p) for p in parts])]
    res = admin.list_consumer_group_offsets(req, require_stable=stable, request_timeout=10)
    return res[GROUP].result(timeout=15).topic_partitions


def pending(parts):
    """Does a transaction hold offsets of the group on these partitions, not yet committed?"""
    try:
        errors = [tp.error for tp in offsets(parts, True) if tp.error]
    except KafkaException as e:
        errors = [e.args[0]]
    if any(e.name() == "UNSTABLE_OFFSET_COMMIT" for e in errors):
        return True
    if errors:
        raise RuntimeError("cannot read the group's offsets: %s" % errors)
    return False


def stopped(pid):
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()[0] == "T"


def freeze(pid, parts, need):
    ends, rnd = Ends(parts), random.Random(os.environ.get("IT_SEED", "20210301"))
    stops, deadline = 0, time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            os.kill(pid, signal.SIGSTOP)
            stops += 1
            for _ in range(1000):
                if stopped(pid):
                    break
                time.sleep(0.001)
            else:
                raise RuntimeError("pid %d did not stop" % pid)
            time.sleep(0.02)  # requests already on the wire land
            n = ends.open()
            if n >= need and not pending(parts):
                print(stops, n)
                return 0
            os.kill(pid, signal.SIGCONT)
            time.sleep(rnd.uniform(0.005, 0.05))
    except BaseException:
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass
        raise
    finally:
        ends.close()
    print("freeze: no stop out of %d caught %d open records without offsets" % (stops, need),
          file=sys.stderr)
    return 1


if cmd == "members":
    if args:  # another group and the topic whose partitions to list
        GROUP, INPUT = args[0], args[1]
    try:
        g = admin.describe_consumer_groups([GROUP])[GROUP].result(timeout=15)
    except (KafkaException, TimeoutError) as e:  # e.g. while the group coordinator loads
        sys.exit("kq members: %r" % e)
    for m in g.members:
        mine = sorted(tp.partition for tp in m.assignment.topic_partitions if tp.topic == INPUT)
        print(m.client_id, ",".join(map(str, mine)))
elif cmd == "open":
    e = Ends(partitions(args[0]))
    print(e.open())
    e.close()
elif cmd == "committed":
    print(sum(max(tp.offset, 0) for tp in offsets(partitions(args[0]), False)))
elif cmd == "freeze":
    sys.exit(freeze(int(args[0]), partitions(args[1]), int(args[2])))
else:
    sys.exit("kq: unknown command %s" % cmd)
