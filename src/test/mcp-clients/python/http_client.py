"""A session of the Python MCP SDK's streamable HTTP client against a server, for PythonClientTest.

    python http_client.py URL COMPONENT_PATH

Initializes, lists the tools, loads the component through load-component, waits (bounded) for the
tools/list_changed that the server sends on the session's event stream, calls the component's `add`
with good and bad arguments, and ends the session (DELETE). Prints one JSON object of what it saw.
"""
import asyncio
import json
import sys

import mcp.types as types
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

BOUND_SECONDS = 30


async def session(url: str, component: str) -> dict:
    changed = asyncio.Event()

    async def on_message(message):
        if isinstance(getattr(message, "root", message), types.ToolListChangedNotification):
            changed.set()

    seen: dict = {}
    async with streamable_http_client(url) as streams:
        async with ClientSession(streams[0], streams[1], message_handler=on_message) as s:
            init = await s.initialize()
            seen["server"] = init.server_info.name
            seen["protocol"] = init.protocol_version
            seen["builtins"] = sorted(t.name for t in (await s.list_tools()).tools)
            loaded = await s.call_tool("load-component", {"path": component})
            seen["load_is_error"] = loaded.is_error
            await asyncio.wait_for(changed.wait(), BOUND_SECONDS)
            seen["list_changed"] = True
            add = next(t.name for t in (await s.list_tools()).tools if t.name.endswith("_add"))
            good = await s.call_tool(add, {"a": 40, "b": 2})
            seen["add"] = good.structured_content
            bad = await s.call_tool(add, {"a": "x", "b": 2})
            seen["bad_is_error"] = bad.is_error
            seen["bad_text"] = bad.content[0].text
    return seen


if __name__ == "__main__":
    print(json.dumps(asyncio.run(asyncio.wait_for(session(sys.argv[1], sys.argv[2]), 2 * BOUND_SECONDS))))
