"""The in-Box half of `forward` for Boxes with their own network namespace.

It runs inside the Box (standard library only, `python3 -I -S -c RELAY_SOURCE <port> <socket>`),
listens on a unix socket in the Box's run dir, which the host can reach through the bind mount,
and pipes each connection to 127.0.0.1:<port> inside the Box. It prints "ready" once listening.
"""

RELAY_SOURCE = """
import asyncio, os, sys

port, path = int(sys.argv[1]), sys.argv[2]

async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        writer.write_eof()
    except OSError:
        writer.close()

async def handle(client_reader, client_writer):
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        client_writer.close()
        return
    await asyncio.gather(pipe(client_reader, writer), pipe(reader, client_writer))
    writer.close()
    client_writer.close()

async def main():
    if os.path.lexists(path):
        os.unlink(path)
    server = await asyncio.start_unix_server(handle, path)
    print("ready", flush=True)
    await server.serve_forever()

asyncio.run(main())
"""
