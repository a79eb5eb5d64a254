"""A local web server on 127.0.0.1 standing in for every official page: tests set what each
page answers (HTML that changes, 404, redirects, a page that never answers, a huge page, a
PDF, ETag/304), and `resolve` points any catalogue URL at it. Nothing reaches the internet."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class Page:
    body: bytes | str = "<html><body><p>Hello</p></body></html>"
    status: int = 200
    content_type: str = "text/html"
    etag: str | None = None
    redirect_to: str | None = None  # a Location header (absolute or a path on this server)
    hang: bool = False  # never answers (until the server stops)


@dataclass
class Request:
    path: str
    headers: dict[str, str]


@dataclass
class LocalSite:
    server: TestServer
    pages: dict[str, Page] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    in_flight: dict[str, int] = field(default_factory=dict)
    most_in_flight: dict[str, int] = field(default_factory=dict)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def port(self) -> int:
        assert self.server.port is not None
        return self.server.port

    @staticmethod
    def key(url: str) -> str:
        """https://www.daad.de/en/x → /www.daad.de/en/x: the page's path on this server."""
        parts = urlsplit(url)
        return f"/{parts.hostname}{unquote(parts.path) or '/'}"  # aiohttp decodes the path

    def resolve(self, url: str) -> str:
        return f"http://127.0.0.1:{self.port}{self.key(url)}"

    def other_host(self, path: str) -> str:
        """An address on this server under another host name (localhost, not 127.0.0.1)."""
        return f"http://localhost:{self.port}{path}"

    def set(self, url: str, page: Page) -> None:
        self.pages[self.key(url)] = page

    def html(self, url: str, *paragraphs: str, **options: object) -> None:
        body = "".join(f"<p>{p}</p>" for p in paragraphs)
        page = (
            "<html><head><title>Call</title><script>var t = Date.now();</script>"
            "<style>p {color: red}</style></head><body><nav>Home | News | Contact</nav>"
            f"<main>{body}</main><footer>© Visited at {id(paragraphs)}</footer></body></html>"
        )
        self.set(url, Page(body=page, **options))  # type: ignore[arg-type]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(Request(request.path, dict(request.headers)))
        host = request.path.split("/")[1]
        self.in_flight[host] = self.in_flight.get(host, 0) + 1
        self.most_in_flight[host] = max(self.most_in_flight.get(host, 0), self.in_flight[host])
        try:
            await asyncio.sleep(0.01)  # lets overlapping requests of one site show
            page = self.pages.get(request.path)
            if page is None:
                return web.Response(status=404, text="Not found")
            if page.hang:
                await self.release.wait()
            if page.redirect_to is not None:
                raise web.HTTPFound(page.redirect_to)
            if page.etag is not None and request.headers.get("If-None-Match") == page.etag:
                return web.Response(status=304, headers={"ETag": page.etag})
            body = page.body.encode() if isinstance(page.body, str) else page.body
            headers = {"ETag": page.etag} if page.etag else {}
            return web.Response(
                status=page.status, body=body, content_type=page.content_type, headers=headers
            )
        finally:
            self.in_flight[host] -= 1


async def start_site() -> LocalSite:
    app = web.Application()
    site = LocalSite(TestServer(app, host="127.0.0.1", port=0))
    app.router.add_route("GET", "/{tail:.*}", site.handle)
    await site.server.start_server()
    return site


async def stop_site(site: LocalSite) -> None:
    site.release.set()
    await site.server.close()
