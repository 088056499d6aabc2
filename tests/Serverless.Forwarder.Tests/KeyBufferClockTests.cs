using Microsoft.Extensions.Time.Testing;
using Serverless.Messages;

namespace Serverless.Forwarder.Tests;

/// <summary>The debounce buffer on an injected clock: due times, retries and the sender's wait move only with it.</summary>
public sealed class KeyBufferClockTests
{
    private static readonly QueueKey Web = QueueKey.Service("default", "web");

    private static KeyCause Change(int version) => new(Web, $"Service/default/web@{version}", version.ToString(System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public async Task A_key_is_due_a_debounce_after_its_first_change_and_again_no_sooner_than_a_debounce_after_its_send()
    {
        var time = new FakeTimeProvider();
        var buffer = new KeyBuffer(TimeSpan.FromMilliseconds(300), 100, new ForwarderMetrics(), time);

        await buffer.AddAsync(Change(1), CancellationToken.None);
        time.Advance(TimeSpan.FromMilliseconds(200));
        await buffer.AddAsync(Change(2), CancellationToken.None); // merges into the waiting key
        Assert.Equal(TimeSpan.FromMilliseconds(100), buffer.UntilNextDue);
        time.Advance(TimeSpan.FromMilliseconds(99));
        Assert.Empty(buffer.TakeDue(10));
        time.Advance(TimeSpan.FromMilliseconds(1));
        var first = Assert.Single(buffer.TakeDue(10));
        Assert.Equal(["Service/default/web@1", "Service/default/web@2"], first.Causes);
        Assert.Equal(time.GetUtcNow() - TimeSpan.FromMilliseconds(300), first.ObservedAt);

        buffer.Complete([first], []);
        await buffer.AddAsync(Change(3), CancellationToken.None);
        time.Advance(TimeSpan.FromMilliseconds(299));
        Assert.Empty(buffer.TakeDue(10));
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Single(buffer.TakeDue(10));
    }

    [Fact]
    public async Task A_failed_send_comes_back_after_its_backoff_on_the_clock_and_the_sender_s_wait_ends_with_it()
    {
        var time = new FakeTimeProvider();
        var buffer = new KeyBuffer(TimeSpan.FromMilliseconds(100), 100, new ForwarderMetrics(), time);
        await buffer.AddAsync(Change(1), CancellationToken.None);
        time.Advance(TimeSpan.FromMilliseconds(100));
        var batch = buffer.TakeDue(10);

        buffer.Complete([], batch); // first retry: 50 ms × 2¹
        Assert.Equal(TimeSpan.FromMilliseconds(100), buffer.UntilNextDue);
        await buffer.WaitAsync(CancellationToken.None); // the completion's signal
        var wait = buffer.WaitAsync(CancellationToken.None);
        await Task.Delay(50); // real time passes; the clock does not
        Assert.False(wait.IsCompleted);
        Assert.Empty(buffer.TakeDue(10));
        time.Advance(TimeSpan.FromMilliseconds(100));
        await wait.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Single(buffer.TakeDue(10));
    }
}
