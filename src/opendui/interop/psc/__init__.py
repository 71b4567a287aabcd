"""Pro Santé Connect for the demo and the tests: a loopback OpenID provider (simulator) and its
test e-CPS cards. The relying party itself is in accounts/psc (login is the accounts app's
concern, and accounts sits below interop)."""
