using Amazon.SQS;
using Amazon.SQS.Model;
using Serverless.Aws.Core;
using Serverless.Aws.Sqs;
using Serverless.Aws.Tests.Infrastructure;
using Serverless.Testing;

namespace Serverless.Aws.Tests.Sqs;

[Collection(MotoCollection.Name)]
public sealed class SqsGatewayTests(MotoFixture fixture) : MotoTest(fixture)
{
    private static readonly SqsReceiveOptions ReceiveAll = new() { MaxMessages = 10 };

    [Fact]
    public async Task A_FIFO_queue_with_a_dead_letter_queue_is_created_found_by_name_and_its_attributes_read_back()
    {
        using var sqs = SqsGateway.Create(Moto.ClientOptions());
        var dlqUrl = await sqs.CreateQueueAsync(new SqsQueueSpec("work-dlq.fifo"));
        var dlqArn = (await sqs.GetQueueAttributesAsync(dlqUrl)).QueueArn;

        var url = await sqs.CreateQueueAsync(new SqsQueueSpec("work.fifo")
        {
            ContentBasedDeduplication = true,
            VisibilityTimeout = TimeSpan.FromSeconds(45),
            MessageRetentionPeriod = TimeSpan.FromDays(1),
            RedrivePolicy = new SqsRedrivePolicy(dlqArn, 5),
        });

        Assert.Equal(url, await sqs.GetQueueUrlAsync("work.fifo"));
        Assert.EndsWith("/work.fifo", url, StringComparison.Ordinal);
        var attributes = await sqs.GetQueueAttributesAsync(url);
        Assert.Equal("arn:aws:sqs:us-east-1:123456789012:work.fifo", attributes.QueueArn);
        Assert.Equal("arn:aws:sqs:us-east-1:123456789012:work-dlq.fifo", dlqArn);
        Assert.True(attributes.Fifo);
        Assert.True(attributes.ContentBasedDeduplication);
        Assert.Equal(TimeSpan.FromSeconds(45), attributes.VisibilityTimeout);
        Assert.Equal(new SqsRedrivePolicy(dlqArn, 5), attributes.RedrivePolicy);
        Assert.Equal("86400", attributes.All["MessageRetentionPeriod"]);
        Assert.Equal(0, attributes.ApproximateNumberOfMessages);
        Assert.Equal(0, attributes.ApproximateNumberOfMessagesNotVisible);
        var dlq = await sqs.GetQueueAttributesAsync(dlqUrl);
        Assert.True(dlq.Fifo);
        Assert.False(dlq.ContentBasedDeduplication);
        Assert.Null(dlq.RedrivePolicy);
    }

    [Fact]
    public async Task Looking_up_a_missing_queue_raises_QueueDoesNotExist()
    {
        using var sqs = SqsGateway.Create(Moto.ClientOptions());

        var error = await Assert.ThrowsAsync<QueueDoesNotExistException>(() => sqs.GetQueueUrlAsync("missing.fifo"));

        Assert.Equal("AWS.SimpleQueueService.NonExistentQueue", error.ErrorCode);
    }

    [Fact]
    public async Task A_sent_FIFO_message_arrives_with_its_body_group_dedup_id_sequence_number_timestamp_and_receive_count()
    {
        using var sqs = SqsGateway.Create(Moto.ClientOptions());
        var url = await sqs.CreateQueueAsync(new SqsQueueSpec("work.fifo"));
        var before = DateTimeOffset.UtcNow.AddSeconds(-5);

        var sent = await sqs.SendAsync(url, new SqsOutgoingMessage("ignored", "{\"kind\":\"Ingress\",\"key\":\"default/web\"}")
        {
            MessageGroupId = "default/web",
            MessageDeduplicationId = "default/web@42",
        });
        var received = Assert.Single(await sqs.ReceiveAsync(url, ReceiveAll));

        Assert.False(string.IsNullOrEmpty(sent.SequenceNumber));
        Assert.Equal(sent.MessageId, received.MessageId);
        Assert.Equal("{\"kind\":\"Ingress\",\"key\":\"default/web\"}", received.Body);
        Assert.Equal("default/web", received.MessageGroupId);
        Assert.Equal("default/web@42", received.MessageDeduplicationId);
        Assert.Equal(sent.SequenceNumber, received.SequenceNumber);
        Assert.Equal(1, received.ApproximateReceiveCount);
        Assert.InRange(received.SentTimestamp!.Value, before, DateTimeOffset.UtcNow.AddSeconds(5));
        Assert.False(string.IsNullOrEmpty(received.ReceiptHandle));
    }

    [Fact]
    public async Task A_batch_of_25_is_sent_in_three_calls_and_delivered_in_order_with_group_and_dedup_ids()
    {
        var recorder = new AwsCallRecorder();
        using var sqs = SqsGateway.Create(Moto.ClientOptions(recorder));
        var url = await sqs.CreateQueueAsync(new SqsQueueSpec("work.fifo"));
        var messages = Enumerable.Range(0, 25)
            .Select(i => new SqsOutgoingMessage($"m{i}", $"body-{i}") { MessageGroupId = "g1", MessageDeduplicationId = $"d-{i}" })
            .ToList();

        var result = await sqs.SendBatchAsync(url, messages);

        Assert.True(result.AllSucceeded);
        Assert.Equal(messages.Select(m => m.Id), result.Succeeded.Select(s => s.Id));
        Assert.All(result.Succeeded, s => Assert.False(string.IsNullOrEmpty(s.MessageId)));
        Assert.All(result.Succeeded, s => Assert.False(string.IsNullOrEmpty(s.SequenceNumber)));
        Assert.Equal(3, recorder.CallsOf("SQS", "SendMessageBatch"));
        Assert.Equal(25, (await sqs.GetQueueAttributesAsync(url)).ApproximateNumberOfMessages);

        // One group: at most one receive batch in flight; deleting it releases the next.
        var delivered = new List<SqsMessage>();
        for (var round = 0; round < 5 && delivered.Count < 25; round++)
        {
            var batch = await sqs.ReceiveAsync(url, ReceiveAll);
            delivered.AddRange(batch);
            var deleted = await sqs.DeleteBatchAsync(url, [.. batch.Select((m, i) => new SqsReceipt($"r{i}", m.ReceiptHandle))]);
            Assert.True(deleted.AllSucceeded);
        }
        Assert.Equal(messages.Select(m => m.Body), delivered.Select(m => m.Body));
        Assert.All(delivered, m => Assert.Equal("g1", m.MessageGroupId));
        Assert.Equal(messages.Select(m => m.MessageDeduplicationId), delivered.Select(m => m.MessageDeduplicationId));
        Assert.Equal(result.Succeeded.Select(s => s.MessageId), delivered.Select(m => m.MessageId));
        Assert.Empty(await sqs.ReceiveAsync(url, ReceiveAll));
        Assert.Equal(3, recorder.CallsOf("SQS", "DeleteMessageBatch"));
    }

    [Fact]
    public async Task A_second_message_with_the_same_deduplication_id_within_the_window_is_accepted_but_not_delivered()
    {
        using var sqs = SqsGateway.Create(Moto.ClientOptions());
        var url = await sqs.CreateQueueAsync(new SqsQueueSpec("work.fifo"));

        await sqs.SendAsync(url, new SqsOutgoingMessage("a", "first") { MessageGroupId = "g", MessageDeduplicationId = "same" });
        await sqs.SendAsync(url, new SqsOutgoingMessage("b", "second") { MessageGroupId = "g", MessageDeduplicationId = "same" });
        var batch = await sqs.SendBatchAsync(url,
        [
            new SqsOutgoingMessage("c", "third") { MessageGroupId = "g", MessageDeduplicationId = "same" },
            new SqsOutgoingMessage("d", "fourth") { MessageGroupId = "g", MessageDeduplicationId = "other" },
        ]);

        Assert.True(batch.AllSucceeded);
        var delivered = await sqs.ReceiveAsync(url, ReceiveAll);
        Assert.Equal(["first", "fourth"], delivered.Select(m => m.Body));
    }

    [Fact]
    public async Task With_content_based_deduplication_identical_bodies_without_dedup_ids_are_delivered_once()
    {
        using var sqs = SqsGateway.Create(Moto.ClientOptions());
        var url = await sqs.CreateQueueAsync(new SqsQueueSpec("work.fifo") { ContentBasedDeduplication = true });

        await sqs.SendAsync(url, new SqsOutgoingMessage("a", "same body") { MessageGroupId = "g" });
        await sqs.SendAsync(url, new SqsOutgoingMessage("b", "same body") { MessageGroupId = "g" });
        await sqs.SendAsync(url, new SqsOutgoingMessage("c", "other body") { MessageGroupId = "g" });

        var delivered = await sqs.ReceiveAsync(url, ReceiveAll);
        Assert.Equal(["same body", "other body"], delivered.Select(m => m.Body));
        Assert.All(delivered, m => Assert.Equal(64, m.MessageDeduplicationId!.Length)); // hex SHA-256 of the body
    }

    [Fact]
    public async Task A_received_message_stays_hidden_until_its_visibility_is_cut_to_zero_and_each_receive_increments_the_count()
    {
        using var sqs = SqsGateway.Create(Moto.ClientOptions());
        var url = await sqs.CreateQueueAsync(new SqsQueueSpec("work.fifo"));
        await sqs.SendAsync(url, new SqsOutgoingMessage("a", "job") { MessageGroupId = "g", MessageDeduplicationId = "1" });

        var first = Assert.Single(await sqs.ReceiveAsync(url, ReceiveAll with { VisibilityTimeout = TimeSpan.FromMinutes(5) }));
        Assert.Empty(await sqs.ReceiveAsync(url, ReceiveAll));
        var inFlight = await sqs.GetQueueAttributesAsync(url);
        Assert.Equal(0, inFlight.ApproximateNumberOfMessages);
        Assert.Equal(1, inFlight.ApproximateNumberOfMessagesNotVisible);

        await sqs.ChangeVisibilityAsync(url, first.ReceiptHandle, TimeSpan.Zero);
        var second = Assert.Single(await sqs.ReceiveAsync(url, ReceiveAll with { VisibilityTimeout = TimeSpan.FromMinutes(5) }));

        var extended = await sqs.ChangeVisibilityBatchAsync(url, [new SqsVisibilityChange("v", second.ReceiptHandle, TimeSpan.FromMinutes(10))]);
        Assert.True(extended.AllSucceeded);
        Assert.Empty(await sqs.ReceiveAsync(url, ReceiveAll));

        var released = await sqs.ChangeVisibilityBatchAsync(url, [new SqsVisibilityChange("v", second.ReceiptHandle, TimeSpan.Zero)]);
        Assert.Equal([new SqsBatchSuccess("v")], released.Succeeded);
        var third = Assert.Single(await sqs.ReceiveAsync(url, ReceiveAll));

        Assert.Equal(first.MessageId, second.MessageId);
        Assert.Equal(first.MessageId, third.MessageId);
        Assert.Equal([1, 2, 3], new[] { first, second, third }.Select(m => m.ApproximateReceiveCount));
        Assert.NotEqual(first.ReceiptHandle, second.ReceiptHandle);

        await sqs.DeleteAsync(url, third.ReceiptHandle);
        Assert.Empty(await sqs.ReceiveAsync(url, ReceiveAll));
        var drained = await sqs.GetQueueAttributesAsync(url);
        Assert.Equal(0, drained.ApproximateNumberOfMessages + drained.ApproximateNumberOfMessagesNotVisible);
    }

    [Fact]
    public async Task A_message_whose_visibility_timeout_expires_is_delivered_again()
    {
        using var sqs = SqsGateway.Create(Moto.ClientOptions());
        var url = await sqs.CreateQueueAsync(new SqsQueueSpec("work.fifo"));
        await sqs.SendAsync(url, new SqsOutgoingMessage("a", "job") { MessageGroupId = "g", MessageDeduplicationId = "1" });

        var first = Assert.Single(await sqs.ReceiveAsync(url, ReceiveAll with { VisibilityTimeout = TimeSpan.FromSeconds(1) }));
        Assert.Empty(await sqs.ReceiveAsync(url, ReceiveAll));
        var again = await sqs.ReceiveAsync(url, ReceiveAll with { WaitTime = TimeSpan.FromSeconds(5) });

        Assert.Equal(first.MessageId, Assert.Single(again).MessageId);
        Assert.Equal(2, again[0].ApproximateReceiveCount);
    }

    [Fact]
    public async Task A_message_received_maxReceiveCount_times_without_being_deleted_moves_to_the_dead_letter_queue()
    {
        using var sqs = SqsGateway.Create(Moto.ClientOptions());
        var dlqUrl = await sqs.CreateQueueAsync(new SqsQueueSpec("work-dlq.fifo"));
        var dlqArn = (await sqs.GetQueueAttributesAsync(dlqUrl)).QueueArn;
        var url = await sqs.CreateQueueAsync(new SqsQueueSpec("work.fifo") { RedrivePolicy = new SqsRedrivePolicy(dlqArn, 2) });
        await sqs.SendAsync(url, new SqsOutgoingMessage("a", "poison") { MessageGroupId = "g", MessageDeduplicationId = "1" });
        var immediately = ReceiveAll with { VisibilityTimeout = TimeSpan.FromSeconds(30) };

        var counts = new List<int>();
        for (var i = 0; i < 2; i++)
        {
            var message = Assert.Single(await sqs.ReceiveAsync(url, immediately));
            counts.Add(message.ApproximateReceiveCount);
            await sqs.ChangeVisibilityAsync(url, message.ReceiptHandle, TimeSpan.Zero); // a failed attempt
        }
        var afterLimit = await sqs.ReceiveAsync(url, immediately);

        Assert.Equal([1, 2], counts);
        Assert.Empty(afterLimit);
        var dead = Assert.Single(await sqs.ReceiveAsync(dlqUrl, ReceiveAll));
        Assert.Equal("poison", dead.Body);
        Assert.Equal(0, (await sqs.GetQueueAttributesAsync(url)).ApproximateNumberOfMessages);
    }

    [Fact]
    public async Task Delete_and_visibility_batches_report_an_invalid_receipt_handle_per_entry_without_throwing()
    {
        var recorder = new AwsCallRecorder();
        using var sqs = SqsGateway.Create(Moto.ClientOptions(recorder));
        var url = await sqs.CreateQueueAsync(new SqsQueueSpec("work.fifo"));
        await sqs.SendBatchAsync(url,
        [
            new SqsOutgoingMessage("a", "one") { MessageGroupId = "g1", MessageDeduplicationId = "1" },
            new SqsOutgoingMessage("b", "two") { MessageGroupId = "g2", MessageDeduplicationId = "2" },
        ]);
        var received = await sqs.ReceiveAsync(url, ReceiveAll with { VisibilityTimeout = TimeSpan.FromMinutes(5) });
        Assert.Equal(2, received.Count);

        var visibility = await sqs.ChangeVisibilityBatchAsync(url,
        [
            new SqsVisibilityChange("good", received[0].ReceiptHandle, TimeSpan.FromMinutes(1)),
            new SqsVisibilityChange("bad", "not-a-receipt-handle", TimeSpan.FromMinutes(1)),
        ]);
        var deletion = await sqs.DeleteBatchAsync(url,
        [
            new SqsReceipt("bogus", "not-a-receipt-handle"),
            new SqsReceipt("real", received[1].ReceiptHandle),
        ]);

        Assert.Equal([new SqsBatchSuccess("good")], visibility.Succeeded);
        var badVisibility = Assert.Single(visibility.Failed);
        Assert.Equal("bad", badVisibility.Id);
        Assert.Equal("ReceiptHandleIsInvalid", badVisibility.Code);
        Assert.True(badVisibility.SenderFault);
        Assert.Equal([new SqsBatchSuccess("real")], deletion.Succeeded);
        var badDelete = Assert.Single(deletion.Failed);
        Assert.Equal("bogus", badDelete.Id);
        Assert.Equal("ReceiptHandleIsInvalid", badDelete.Code);
        Assert.True(badDelete.SenderFault);
        Assert.Contains("not-a-receipt-handle", badDelete.Message, StringComparison.Ordinal);
        Assert.Equal(1, recorder.CallsOf("SQS", "DeleteMessageBatch"));
    }

    [Fact]
    public async Task A_send_entry_SQS_rejects_is_reported_per_entry_while_the_others_are_sent()
    {
        using var sqs = SqsGateway.Create(Moto.ClientOptions());
        var url = await sqs.CreateQueueAsync(new SqsQueueSpec("standard"));

        var result = await sqs.SendBatchAsync(url,
        [
            new SqsOutgoingMessage("ok-1", "one"),
            new SqsOutgoingMessage("too-late", "two") { Delay = TimeSpan.FromMinutes(30) }, // DelaySeconds > 900
            new SqsOutgoingMessage("ok-2", "three"),
        ]);

        Assert.Equal(["ok-1", "ok-2"], result.Succeeded.Select(s => s.Id));
        Assert.All(result.Succeeded, s => Assert.Null(s.SequenceNumber));
        var failure = Assert.Single(result.Failed);
        Assert.Equal("too-late", failure.Id);
        Assert.Equal("InvalidParameterValue", failure.Code);
        Assert.True(failure.SenderFault);
        Assert.Equal(2, (await sqs.GetQueueAttributesAsync(url)).ApproximateNumberOfMessages);
    }

    [Fact]
    public async Task A_batch_call_rejected_as_a_whole_fails_only_its_own_entries_and_the_other_calls_still_send()
    {
        using var sqs = SqsGateway.Create(Moto.ClientOptions());
        var url = await sqs.CreateQueueAsync(new SqsQueueSpec("work.fifo"));
        var messages = Enumerable.Range(0, 12)
            .Select(i => new SqsOutgoingMessage($"m{i}", $"body-{i}") { MessageGroupId = i == 11 ? null : "g", MessageDeduplicationId = $"d{i}" })
            .ToList();

        var result = await sqs.SendBatchAsync(url, messages);

        // The second call (m10, m11) is refused because m11 lacks the group id a FIFO queue requires.
        Assert.Equal(messages.Take(10).Select(m => m.Id), result.Succeeded.Select(s => s.Id));
        Assert.Equal(["m10", "m11"], result.Failed.Select(f => f.Id));
        Assert.All(result.Failed, f => Assert.Equal("MissingParameter", f.Code));
        Assert.All(result.Failed, f => Assert.True(f.SenderFault));
        Assert.Equal(10, (await sqs.GetQueueAttributesAsync(url)).ApproximateNumberOfMessages);
    }

    [Fact]
    public async Task Batch_entry_ids_must_be_distinct_across_the_whole_input()
    {
        using var sqs = SqsGateway.Create(Moto.ClientOptions());

        await Assert.ThrowsAsync<ArgumentException>(() => sqs.SendBatchAsync("http://unused/q", [new SqsOutgoingMessage("a", "1"), new SqsOutgoingMessage("a", "2")]));
        await Assert.ThrowsAsync<ArgumentException>(() => sqs.DeleteBatchAsync("http://unused/q", [new SqsReceipt("a", "h1"), new SqsReceipt("a", "h2")]));
    }

    [Fact]
    public async Task An_empty_batch_makes_no_call()
    {
        var recorder = new AwsCallRecorder();
        using var sqs = SqsGateway.Create(Moto.ClientOptions(recorder));

        var result = await sqs.SendBatchAsync("http://unused/q", []);

        Assert.True(result.AllSucceeded);
        Assert.Empty(result.Succeeded);
        Assert.Equal(0, recorder.TotalCalls);
    }

    [Fact]
    public async Task SQS_calls_are_counted_in_the_shared_call_recorder_under_service_SQS()
    {
        var recorder = new AwsCallRecorder();
        using var sqs = SqsGateway.Create(Moto.ClientOptions(recorder));

        var url = await sqs.CreateQueueAsync(new SqsQueueSpec("work.fifo") { ContentBasedDeduplication = true });
        await sqs.GetQueueUrlAsync("work.fifo");
        await sqs.SendAsync(url, new SqsOutgoingMessage("a", "x") { MessageGroupId = "g" });
        var message = Assert.Single(await sqs.ReceiveAsync(url, ReceiveAll));
        await sqs.ChangeVisibilityAsync(url, message.ReceiptHandle, TimeSpan.FromSeconds(10));
        await sqs.DeleteAsync(url, message.ReceiptHandle);
        await sqs.GetQueueAttributesAsync(url);

        Assert.Equal(
            new Dictionary<string, long>
            {
                ["SQS:ChangeMessageVisibility"] = 1,
                ["SQS:CreateQueue"] = 1,
                ["SQS:DeleteMessage"] = 1,
                ["SQS:GetQueueAttributes"] = 1,
                ["SQS:GetQueueUrl"] = 1,
                ["SQS:ReceiveMessage"] = 1,
                ["SQS:SendMessage"] = 1,
            },
            recorder.Calls);
        Assert.Equal(recorder.Calls, recorder.Attempts);
    }

    [Fact]
    public async Task A_throttled_SQS_call_with_a_JSON_ThrottlingException_is_retried_and_succeeds_as_one_call_of_three_attempts()
    {
        FaultInjectionHandler? handler = null;
        var recorder = new AwsCallRecorder();
        var rule = new FaultRule("SendMessageBatch", FaultKind.Throttle) { Times = 2 };
        using var sqs = SqsGateway.Create(Moto.ClientOptions(recorder, inner => handler = new FaultInjectionHandler(inner).Add(rule)));
        var url = await sqs.CreateQueueAsync(new SqsQueueSpec("work.fifo") { ContentBasedDeduplication = true });

        var result = await sqs.SendBatchAsync(url, [new SqsOutgoingMessage("a", "x") { MessageGroupId = "g" }]);

        Assert.True(result.AllSucceeded);
        Assert.Equal(2, FaultInjectionHandler.HitsOf(rule));
        Assert.Equal(3, handler!.AttemptsOf("SendMessageBatch"));
        Assert.Equal(1, recorder.CallsOf("SQS", "SendMessageBatch"));
        Assert.Equal(3, recorder.Attempts["SQS:SendMessageBatch"]);
        Assert.Single(await sqs.ReceiveAsync(url, ReceiveAll));
    }

    [Fact]
    public async Task The_SDK_reads_the_injected_JSON_throttling_error_as_a_ThrottlingException_sender_fault()
    {
        FaultInjectionHandler? handler = null;
        var options = Moto.ClientOptions(wrap: inner => handler = new FaultInjectionHandler(inner).Add(new FaultRule("GetQueueUrl", FaultKind.Throttle)))
            with { MaxErrorRetry = 1 };
        using var sqs = SqsGateway.Create(options);

        var error = await Assert.ThrowsAnyAsync<AmazonSQSException>(() => sqs.GetQueueUrlAsync("work.fifo"));

        Assert.Equal("ThrottlingException", error.ErrorCode);
        Assert.Equal(Amazon.Runtime.ErrorType.Sender, error.ErrorType);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Equal("Rate exceeded", error.Message);
        Assert.Equal(2, handler!.AttemptsOf("GetQueueUrl"));
    }

    [Fact]
    public async Task A_batch_call_throttled_past_every_retry_reports_its_entries_as_retryable_failures()
    {
        FaultInjectionHandler? handler = null;
        // The first call of two goes through; the second is throttled on both attempts.
        var rule = new FaultRule("SendMessageBatch", FaultKind.Throttle) { Skip = 1 };
        var options = Moto.ClientOptions(wrap: inner => handler = new FaultInjectionHandler(inner).Add(rule)) with { MaxErrorRetry = 1 };
        using var sqs = SqsGateway.Create(options);
        var url = await sqs.CreateQueueAsync(new SqsQueueSpec("work.fifo") { ContentBasedDeduplication = true });
        var messages = Enumerable.Range(0, 11).Select(i => new SqsOutgoingMessage($"m{i}", $"b{i}") { MessageGroupId = "g" }).ToList();

        var result = await sqs.SendBatchAsync(url, messages);

        Assert.Equal(10, result.Succeeded.Count);
        var failure = Assert.Single(result.Failed);
        Assert.Equal("m10", failure.Id);
        Assert.Equal("ThrottlingException", failure.Code);
        Assert.False(failure.SenderFault);
        Assert.Equal(3, handler!.AttemptsOf("SendMessageBatch"));
    }

    [Fact]
    public void Redrive_policies_are_written_as_JSON_and_read_with_a_numeric_or_string_count()
    {
        var policy = new SqsRedrivePolicy("arn:aws:sqs:us-east-1:123456789012:dlq.fifo", 3);

        Assert.Equal("{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:123456789012:dlq.fifo\",\"maxReceiveCount\":3}", policy.ToJson());
        Assert.Equal(policy, SqsRedrivePolicy.Parse(policy.ToJson()));
        Assert.Equal(policy, SqsRedrivePolicy.Parse("{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:123456789012:dlq.fifo\",\"maxReceiveCount\":\"3\"}"));
        Assert.Null(SqsRedrivePolicy.Parse(null));
        Assert.Null(SqsRedrivePolicy.Parse("not json"));
        Assert.Null(SqsRedrivePolicy.Parse("{\"maxReceiveCount\":3}"));
    }
}
