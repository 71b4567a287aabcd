"""Pro Santé Connect: OpenID Connect login of professionals with their e-CPS.

config (settings → PscConfig), client (Authlib-based relying party), claims (pure
mapping of the userinfo), linking (userinfo → OpenDUI account). The views are in
accounts/views_psc.py; the loopback provider used by the demo and the tests is
interop/psc/simulator.py.
"""
