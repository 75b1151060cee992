"""One of the mixed writers (faults/writers.rs): an OrderService on the shared SQLite file
writes its own orders and contends for the shared ones with an expected version. Every
command carries a command_id; a StoreError (the file is busy) is retried with the same id.
Prints one JSON line: acknowledged [command_id, order_id, version], conflicts, busy."""

import json
import sys
import time

from order_core import ConcurrencyError, OrderService, StoreError

path, name, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
acked = []
conflicts = 0
busy = 0


def send(command_id, order_id, call):
    """Runs call(command_id) until it is not busy; records the version its outcome names."""
    global busy
    for _ in range(1500):
        try:
            result = call(command_id)
        except StoreError:
            busy += 1
            time.sleep(0.02)
            continue
        acked.append([command_id, order_id, result.version])
        return
    raise SystemExit(f"{command_id}: the store stayed busy for 30 s")


with OrderService(path) as service:
    for k in range(rounds):
        order = f"{name}-{k}"
        send(f"{order}/create", order,
             lambda c: service.create_order("c-py", order_id=order, command_id=c))
        send(f"{order}/p1", order, lambda c: service.add_item(order, "p1", 2, "1.25", command_id=c))
        send(f"{order}/place", order, lambda c: service.place_order(order, command_id=c))
        shared = f"shared-{k % 2}"
        version = service.get_order(shared).version
        time.sleep(0.002)  # widen the window in which another writer moves the stream
        try:
            send(f"{name}/shared/{k}", shared,
                 lambda c: service.add_item(shared, f"{name}-{k}", 1, "1.00",
                                            expected_version=version, command_id=c))
        except ConcurrencyError:
            conflicts += 1

print(json.dumps({"acked": acked, "conflicts": conflicts, "busy": busy}))
