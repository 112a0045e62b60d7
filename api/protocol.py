"""The HTTP protocol `paperkg serve` runs: uvicorn's httptools protocol, with requests it cannot parse answered as
problem+json like every other error (uvicorn answers them in plain text)."""

from __future__ import annotations

import json
import sys

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from paperkg.api.problems import problem_body

# httptools cannot parse a URL longer than this (its offsets are 16-bit)
URL_LIMIT = 65535


class ProblemHttpToolsProtocol(HttpToolsProtocol):
    """Unparseable requests get an RFC 9457 body; a URL over the parser's limit is a 414 that says to POST."""

    def send_400_response(self, msg: str) -> None:
        url = getattr(self, "url", b"") or b""
        if len(url) > URL_LIMIT:
            # RFC 9110's name (http.HTTPStatus keeps RFC 2616's "Request-URI Too Long")
            status, slug, title = 414, "uri-too-long", "URI Too Long"
            advice = ("send a long SPARQL query as POST /sparql (the query as the body or form field)"
                      if url.startswith(b"/sparql") else "shorten it")
            detail = f"the request's URL is {len(url):,} bytes, over the {URL_LIMIT:,} this server reads; {advice}"
        else:
            status, slug, title = 400, None, None
            # called while uvicorn handles the parser's error: its message says what is wrong
            error = sys.exc_info()[1]
            detail = f"not a valid HTTP request: {error or msg.rstrip('.')}"
        body = json.dumps(problem_body(status, detail, slug, title)).encode()
        content = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend([b"content-type: application/problem+json\r\n",
                        b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
                        b"connection: close\r\n", b"\r\n", body])
        self.transport.write(b"".join(content))
        self.transport.close()
