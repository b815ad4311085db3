"""The quickstart with `authd.AsyncAuthdClient` (asyncio): register → verify →
login → me → refresh → logout. Same environment as quickstart.py.

    python clients/python/examples/quickstart_async.py
"""

from __future__ import annotations

import asyncio
import sys

from authd import AsyncAuthdClient, AuthdError, MfaRequired
from quickstart import EMAIL, PASSWORD, URL, verification_token


async def main() -> None:
    async with AsyncAuthdClient(URL) as authd:
        await authd.register(EMAIL, PASSWORD)
        token = await asyncio.to_thread(verification_token, EMAIL)
        print("verified:", (await authd.verify_email(token)).email)
        try:
            await authd.login(EMAIL, PASSWORD)
        except MfaRequired as challenge:
            code = await asyncio.to_thread(input, "code from the authenticator app: ")
            await authd.verify_mfa(challenge.mfa_token, code=code)
        me, again = await asyncio.gather(authd.me(), authd.me())  # one refresh at most, shared
        print("me:", me.email, again.id == me.id)
        print("refresh: expires in", (await authd.refresh()).expires_in, "s")
        await authd.logout()
        print("logged out")


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except AuthdError as e:
        sys.exit(f"authd: {e}")
