"""Several contracts' cameras at once (the monthly report's contract scopes) are each contract's own."""

from __future__ import annotations

from assetsvc.tickets import contracts
from tests.integration.test_tickets_score import at, camera, contract, fresh_terms  # noqa: F401 - autouse fixture


async def test_several_contracts_cameras_at_once_equal_each_contracts_own(people):
    city = await contract(people.a_id, "HT-A-CITY", "330100")  # all of Hangzhou
    urban = await contract(people.a_id, "HT-A-URBAN", "330106")  # one district: more specific, it wins there
    ningbo = await contract(people.b_id, "HT-B", "330200")
    a_urban = [await camera(n, people.a_id, "330106") for n in range(1, 4)]
    a_other = [await camera(n, people.a_id, "330102") for n in range(4, 6)]
    b_hangzhou = [await camera(n, people.b_id, "330106") for n in range(6, 8)]  # B has no contract there
    b_ningbo = [await camera(n, people.b_id, "330203") for n in range(8, 10)]
    when = at(11, 15, 12)
    together = await contracts.contracts_cameras([city, urban, ningbo], when)
    assert {k: sorted(v) for k, v in together.items()} == {city: sorted(a_other), urban: sorted(a_urban),
                                                           ningbo: sorted(b_ningbo)}
    for contract_id, cameras in together.items():
        assert sorted(await contracts.contract_cameras(contract_id, when)) == sorted(cameras)
    assert not set(b_hangzhou) & {c for cams in together.values() for c in cams}
    # Only the contracts asked for, and none: nothing read.
    assert {k: sorted(v) for k, v in (await contracts.contracts_cameras([urban], when)).items()} == \
        {urban: sorted(a_urban)}
    assert await contracts.contracts_cameras([], when) == {}
