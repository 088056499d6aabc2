namespace Serverless.Messages.Tests;

public sealed class QueueMessageTests
{
    [Fact]
    public void Round_trips_every_field()
    {
        var at = new DateTimeOffset(2026, 11, 23, 12, 0, 0, 123, TimeSpan.Zero);
        var message = new QueueMessage(QueueKey.IngressGroup("default/echoserver"), QueueMessageOrigin.Forwarder, "4711", at);
        var json = message.ToJson();
        Assert.Equal(
            """{"version":1,"key":{"kind":"ingress-group","name":"default/echoserver"},"origin":"forwarder","resourceVersion":"4711","observedAt":"2026-11-23T12:00:00.123Z"}""",
            json);
        Assert.Equal(message, QueueMessage.Parse(json));
    }

    [Fact]
    public void Optional_fields_may_be_absent_and_unknown_fields_are_ignored()
    {
        var message = QueueMessage.Parse("""{"version":1,"key":{"kind":"node","name":"ip-10-0-1-5.ec2.internal"},"origin":"replay","extra":{"a":1}}""");
        Assert.Equal(QueueKey.Node("ip-10-0-1-5.ec2.internal"), message.Key);
        Assert.Equal(QueueMessageOrigin.Replay, message.Origin);
        Assert.Null(message.ResourceVersion);
        Assert.Null(message.ObservedAt);
    }

    [Theory]
    [InlineData("", "body", null)]
    [InlineData("not json", "body", "not json")]
    [InlineData("[1]", "body", "[1]")]
    [InlineData("""{"key":{"kind":"node","name":"a"},"origin":"replay"}""", "version", null)]
    [InlineData("""{"version":2,"key":{"kind":"node","name":"a"},"origin":"replay"}""", "version", "2")]
    [InlineData("""{"version":"1","key":{"kind":"node","name":"a"},"origin":"replay"}""", "version", "\"1\"")]
    [InlineData("""{"version":1,"origin":"replay"}""", "key", null)]
    [InlineData("""{"version":1,"key":{"kind":"pod","name":"a"},"origin":"replay"}""", "key.kind", "pod")]
    [InlineData("""{"version":1,"key":{"kind":"node","name":""},"origin":"replay"}""", "key.name", "")]
    [InlineData("""{"version":1,"key":{"kind":"node","name":"a/b"},"origin":"replay"}""", "key.name", "a/b")]
    [InlineData("""{"version":1,"key":{"kind":"service","name":"nons"},"origin":"replay"}""", "key.name", "nons")]
    [InlineData("""{"version":1,"key":{"kind":"ingress-group","name":"a/b/c"},"origin":"replay"}""", "key.name", "a/b/c")]
    [InlineData("""{"version":1,"key":{"kind":"node","name":7},"origin":"replay"}""", "key.name", "7")]
    [InlineData("""{"version":1,"key":{"kind":"node","name":"a"},"origin":"cron"}""", "origin", "cron")]
    [InlineData("""{"version":1,"key":{"kind":"node","name":"a"},"origin":"replay","resourceVersion":5}""", "resourceVersion", "5")]
    [InlineData("""{"version":1,"key":{"kind":"node","name":"a"},"origin":"replay","observedAt":"yesterday"}""", "observedAt", "\"yesterday\"")]
    public void Invalid_bodies_name_the_field_and_value(string body, string field, string? value)
    {
        var error = Assert.Throws<QueueMessageException>(() => QueueMessage.Parse(body));
        Assert.Equal(field, error.Field);
        if (value is not null)
            Assert.Equal(value, error.Value);
        Assert.Contains($"'{field}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Group_ids_fit_sqs_and_stay_distinct()
    {
        Assert.Equal("ingress-group:default/echoserver", QueueKey.IngressGroup("default/echoserver").MessageGroupId);
        var longA = QueueKey.IngressGroup("ns/" + new string('a', 200));
        var longB = QueueKey.IngressGroup("ns/" + new string('a', 199) + "b");
        Assert.True(longA.MessageGroupId.Length <= QueueKey.MaxSqsIdLength);
        Assert.NotEqual(longA.MessageGroupId, longB.MessageGroupId);
        Assert.All(longA.MessageGroupId, c => Assert.InRange(c, '!', '~'));
    }

    [Fact]
    public void Deduplication_ids_depend_on_key_and_versions()
    {
        var key = QueueKey.Service("default", "echo");
        Assert.Equal(key.DeduplicationId("1", "2"), QueueKey.Service("default", "echo").DeduplicationId("1", "2"));
        Assert.NotEqual(key.DeduplicationId("1", "2"), key.DeduplicationId("1", "3"));
        Assert.NotEqual(key.DeduplicationId("1"), QueueKey.Service("default", "echo2").DeduplicationId("1"));
        Assert.Equal(64, key.DeduplicationId("1").Length);
    }

    [Fact]
    public void Text_form_round_trips()
    {
        var key = QueueKey.Parse("service:default/echo");
        Assert.Equal(QueueKeyKind.Service, key.Kind);
        Assert.Equal("service:default/echo", key.ToString());
        Assert.Equal("key", Assert.Throws<QueueMessageException>(() => QueueKey.Parse("deployment:x")).Field);
    }

    [Fact]
    public void A_target_group_binding_key_is_tgb_namespace_slash_name()
    {
        var key = QueueKey.Parse("tgb:shop/web-tg");
        Assert.Equal(QueueKeyKind.TargetGroupBinding, key.Kind);
        Assert.Equal(QueueKey.TargetGroupBinding("shop", "web-tg"), key);
        Assert.Equal("tgb:shop/web-tg", key.MessageGroupId);
        var message = QueueMessage.Parse("""{"version":1,"key":{"kind":"tgb","name":"shop/web-tg"},"origin":"replay"}""");
        Assert.Equal(key, message.Key);
        var error = Assert.Throws<QueueMessageException>(() => QueueKey.Parse("tgb:web-tg"));
        Assert.Equal("key.name", error.Field);
        Assert.Contains("<namespace>/<name>", error.Message, StringComparison.Ordinal);
    }
}
