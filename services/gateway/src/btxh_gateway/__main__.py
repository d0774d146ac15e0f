"""``python -m btxh_gateway``: the console on ``GATEWAY_HOST:GATEWAY_PORT`` (127.0.0.1:8000)."""

from __future__ import annotations

import uvicorn

from btxh_gateway.app import create_app
from btxh_gateway.settings import GatewaySettings


def main() -> None:
    settings = GatewaySettings()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


if __name__ == "__main__":
    main()
