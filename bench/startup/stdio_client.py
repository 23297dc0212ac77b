"""The client side of a `wassette run` stdio session, for the start-up scripts beside this one: one
JSON-RPC message per line on the server's stdin, answers read from its stdout."""
import json


def send(p, message):
    """Writes one message to the server process p."""
    p.stdin.write((json.dumps(message) + "\n").encode())
    p.stdin.flush()


def answer(p, want):
    """Reads until the answer to request id `want` (skipping notifications and other answers)."""
    while True:
        line = p.stdout.readline()
        if not line:
            raise RuntimeError("the server closed stdout")
        message = json.loads(line)
        if message.get("id") == want:
            return message


def initialize(request_id, client):
    """An initialize request of a client named `client`."""
    return {"jsonrpc": "2.0", "id": request_id, "method": "initialize", "params": {"protocolVersion": "2025-06-18",
            "capabilities": {}, "clientInfo": {"name": client, "version": "1"}}}


INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}
