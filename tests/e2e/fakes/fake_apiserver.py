"""Stand-in API server: gRPC health on --listen, SERVING while Redis at --redis answers PING."""

import argparse
import os

import redis

from _fakehealth import serve

p = argparse.ArgumentParser()
p.add_argument("--listen", required=True)
p.add_argument("--redis", default=os.environ.get("KUBELAB_REDIS_URL"))
args = p.parse_args()
client = redis.Redis.from_url(args.redis, socket_timeout=0.5, socket_connect_timeout=0.5)


def redis_answers() -> bool:
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False


serve("apiserver", args.listen, redis_answers)
