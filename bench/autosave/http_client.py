"""A minimal HTTP/1.1 keep-alive client on asyncio streams, for the load generator.

One `Connection` carries one request at a time, like a browser tab autosaving:

    connection = Connection("127.0.0.1", 8000)
    response = await connection.request("PATCH", path, headers={...}, body=b"{...}")
    response.status, response.header("etag"), response.body

It reconnects when the server closes the connection (`Connection: close`, or a
sync gunicorn worker), and costs a few tens of microseconds of CPU per request, so the
load generator leaves the cores to the server it measures.
"""

import asyncio
import contextlib
from dataclasses import dataclass

REQUEST_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


class Connection:
    def __init__(self, host: str, port: int, *, default_headers: dict[str, str]):
        self.host = host
        self.port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        fixed = {"Host": f"{host}:{port}", **default_headers}
        self._fixed_headers = "".join(
            f"{name}: {value}\r\n" for name, value in fixed.items()
        )

    async def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
    ) -> Response:
        """Send one request and read its whole answer; raise on timeout or reset."""
        try:
            return await asyncio.wait_for(
                self._exchange(method, path, headers or {}, body),
                REQUEST_TIMEOUT_SECONDS,
            )
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def _exchange(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> Response:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(
                self.host, self.port
            )
        extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        head = (
            f"{method} {path} HTTP/1.1\r\n{self._fixed_headers}{extra}"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        self._writer.write(head.encode("latin-1") + body)
        response = await self._read_response()
        if response.header("connection") == "close":
            await self.close()
        return response

    async def _read_response(self) -> Response:
        reader = self._reader
        assert reader is not None
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        status_line, *header_lines = head[:-4].split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = await self._read_chunked(reader)
        else:
            body = b""
        return Response(status=status, headers=headers, body=body)

    @staticmethod
    async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
        chunks = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return b"".join(chunks)
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
