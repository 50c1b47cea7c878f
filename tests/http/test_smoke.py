"""The server answers over real HTTP, and a registered tenant can use its token."""

from tests.support.graphql import GraphQLClient, register


def test_a_new_tenant_sees_itself_through_me(client: GraphQLClient) -> None:
    alice = register(client, name="alice")
    me = client.data("{ me { role user { email } tenant { slug } } }", token=alice.access_token)["me"]
    assert me == {"role": "OWNER", "user": {"email": alice.email}, "tenant": {"slug": alice.tenant_slug}}
