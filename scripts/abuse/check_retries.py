"""Eight clients retrying one import at once with one `idempotencyKey`, as a migration does
after a crash: exactly one applies, the rest answer 200 with `"replayed": true`, and the rows
are in the table once. The imports append (no primary key), so a second apply would show."""

import threading

from report import Result

CLIENTS = 8
ROUNDS = 3
ROWS = 2_000


def csv_body(round_no):
    lines = ["id,v"] + [f"{round_no}-{i},value {i}" for i in range(ROWS)]
    return ("\n".join(lines) + "\n").encode()


def one_round(project, table_id, round_no, result):
    body = csv_body(round_no)
    path = (f"/v2/storage/tables/{table_id}/import?incremental=true"
            f"&idempotencyKey=abuse-retry-{round_no}")
    start = threading.Barrier(CLIENTS)
    answers = [None] * CLIENTS

    def client(n):
        start.wait()
        answers[n] = project.call("POST", path, body, {"Content-Type": "text/csv"}, timeout=120)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    applied, replayed, other = 0, 0, []
    for a in answers:
        result.count(a)
        if a.status == 200:
            if a.json().get("replayed") is True:
                replayed += 1
            else:
                applied += 1
        else:
            other.append(a.describe())
    return applied, replayed, other


def run(server, project):
    result = Result("concurrent retries")
    table_id = project.table("retry", "t", ["id", "v"])
    rounds, first_other, held = [], None, True
    for round_no in range(1, ROUNDS + 1):
        applied, replayed, other = one_round(project, table_id, round_no, result)
        rows = project.export_rows(table_id)
        mine = sum(1 for r in rows if r.startswith(f'"{round_no}-'))
        held &= applied == 1 and replayed == CLIENTS - 1 and mine == ROWS
        rounds.append(f"{applied}/{replayed}/{len(other)}/{mine}")
        first_other = first_other or (other[0] if other else None)
    result.held = held
    result.detail = (f"{ROUNDS} rounds of {CLIENTS} simultaneous imports of {ROWS} rows with one "
                     f"key each; applied/replayed/other answers/rows in the table per round: "
                     f"{', '.join(rounds)} (holds at 1/{CLIENTS - 1}/0/{ROWS})"
                     + (f"; an other answer: {first_other}" if first_other else ""))
    return result
