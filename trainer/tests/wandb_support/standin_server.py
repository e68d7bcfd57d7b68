# A stand-in for the W&B server on the loopback interface, for ffn's tests:
# the GraphQL calls and file-stream posts that `wandb sync` (wandb-core) and
# `wandb agent` make, each logged as one JSON line to argv[1].
#
# argv[2], optional, is a JSON sweep: {"id", "yaml", "runs": [run commands]}.
# Then the server also plays the sweep controller: the agent gets one run
# command per heartbeat while none of its runs is running, then "exit".
# argv[3] == "reject" makes every run upload fail (HTTP 403), as a server
# that refuses the run does.
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOG = open(sys.argv[1], "a")
SWEEP = json.load(open(sys.argv[2])) if len(sys.argv) > 2 and sys.argv[2] else None
REJECT = len(sys.argv) > 3 and sys.argv[3] == "reject"
PENDING = list(SWEEP["runs"]) if SWEEP else []
LOCK = threading.Lock()


def log(**kw):
    with LOCK:
        LOG.write(json.dumps(kw) + "\n")
        LOG.flush()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def send(self, obj, status=200):
        b = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def do_GET(self):
        self.send({})

    def do_PUT(self):
        log(kind="put", path=self.path, size=len(self.body()))
        self.send({})

    def do_POST(self):
        b = self.body()
        if self.path.startswith("/graphql"):
            q = json.loads(b)
            query, v = q.get("query", ""), q.get("variables") or {}
            log(kind="graphql", op=q.get("operationName"), variables=v)
            self.graphql(query, v)
        elif "file_stream" in self.path:
            log(kind="file_stream", path=self.path, body=json.loads(b))
            self.send({"exitcode": None, "limits": {}})
        else:
            self.send({})

    def graphql(self, query, v):
        if "viewer" in query:
            self.send({"data": {"viewer": {"id": "VXNlcg==", "entity": "myname", "username": "myname",
                                           "email": "", "flags": "{}", "teams": {"edges": []}}}})
        elif "upsertBucket" in query:
            if REJECT:
                self.send({"errors": [{"message": "permission denied"}]}, status=403)
                return
            self.send({"data": {"upsertBucket": {"inserted": True, "bucket": {
                "id": "QnVja2V0", "name": v.get("name"), "displayName": v.get("displayName"), "description": "",
                "config": "{}", "sweepName": v.get("sweep"), "historyLineCount": 0, "eventsLineCount": 0,
                "summaryMetrics": "{}", "createdAt": "2026-01-01T00:00:00",
                "project": {"id": "UA==", "name": v.get("project"), "entity": {"id": "RQ==", "name": v.get("entity")}}}}}})
        elif "createRunFiles" in query:
            port = self.server.server_address[1]
            self.send({"data": {"createRunFiles": {"runID": "QnVja2V0", "uploadHeaders": [], "files": [
                {"name": f, "uploadUrl": "http://127.0.0.1:%d/upload/%s" % (port, f)} for f in v.get("files", [])]}}})
        elif SWEEP and "sweep(sweepName" in query:
            self.send({"data": {"project": {"sweep": {
                "id": "U3dlZXA=", "name": SWEEP["id"], "method": "grid", "state": "RUNNING", "description": "",
                "config": SWEEP["yaml"], "createdAt": "2026-01-01T00:00:00", "heartbeatAt": None, "updatedAt": None,
                "earlyStopJobRunning": False, "bestLoss": None, "controller": None, "scheduler": None,
                "runs": {"edges": []}}}}})
        elif SWEEP and "createAgent" in query:
            self.send({"data": {"createAgent": {"agent": {"id": "QWdlbnQ="}}}})
        elif SWEEP and "agentHeartbeat" in query:
            running = [k for k, on in json.loads(v.get("runState") or "{}").items() if on]
            with LOCK:
                if running:
                    commands = []
                elif PENDING:
                    commands = [PENDING.pop(0)]
                else:
                    commands = [{"type": "exit"}]
            log(kind="heartbeat", running=running, commands=commands)
            self.send({"data": {"agentHeartbeat": {"agent": {"id": "QWdlbnQ="}, "commands": json.dumps(commands)}}})
        else:
            self.send({"data": {}})


srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(srv.server_address[1], flush=True)
srv.serve_forever()
