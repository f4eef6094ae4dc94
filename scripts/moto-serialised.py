#!/usr/bin/env python3
"""moto's server, answering one request at a time.

DynamoDB makes each conditional write atomic for its item; moto's threaded server does not
(two threads can both pass `attribute_not_exists` and both write). The exactly-once tests
race conditional writes on purpose, so they need DynamoDB's guarantee: a lock around moto's
application gives it, while connections are still served on threads.
Usage: moto-serialised.py -H 127.0.0.1 -p PORT
"""
import argparse
import signal
import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


def serialised(app):
    lock = threading.Lock()

    def wrapped(environ, start_response):
        with lock:
            # Run the whole answer inside the lock: a WSGI body may be computed lazily.
            return list(app(environ, start_response))

    return wrapped


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(args.host, args.port, serialised(app), threaded=True)


if __name__ == "__main__":
    main()
