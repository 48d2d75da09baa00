"""The impairment relay as a service (meetdesk.rtc.relay_service): a control connection that says nonsense loses
its link, not the service. (A participant meeting through it: tests/integration/test_impaired_network.py; a kiosk
process cut through it: tests/integration/test_kiosk_process.py.)"""

from __future__ import annotations

import asyncio
import json

from meetdesk.rtc.relay_service import RelayService, parse_control_address


async def test_a_control_connection_that_says_nonsense_loses_its_link_and_the_service_goes_on() -> None:
    service = await RelayService().start()
    host, port = parse_control_address(service.address)
    try:
        reader, writer = await asyncio.open_connection(host, port)
        ends = json.loads(await reader.readline())
        assert set(ends) == {"client", "server"}
        writer.write(b'{"server": "not an address"}\n')
        assert await asyncio.wait_for(reader.read(), 10) == b""  # the service closed the connection
        writer.close()
        reader, writer = await asyncio.open_connection(host, port)
        assert set(json.loads(await reader.readline())) == {"client", "server"}
        writer.close()
    finally:
        await service.close()
