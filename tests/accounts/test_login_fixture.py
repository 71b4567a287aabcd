def test_login_fixture_completes_the_second_factor_of_roles_that_require_it(world, login):
    admin = world.user("admin")
    client = login(admin)
    assert client.get("/").status_code == 200
    admin.refresh_from_db()
    assert admin.has_totp
    client.post("/deconnexion/")
    assert login(admin).get("/").status_code == 200  # second login uses the enrolled secret
