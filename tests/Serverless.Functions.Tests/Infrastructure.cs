using System.Text;
using Serverless.Aws.Acm;
using Serverless.Aws.Core;
using Serverless.Aws.Ec2;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.Wafv2;
using Serverless.Deploy;
using Serverless.Functions.Wiring;
using Serverless.Ingress;
using Serverless.Kubernetes.Api;
using Serverless.Reconcile;
using Serverless.Lambda;
using Serverless.Testing;

namespace Serverless.Functions.Tests;

/// <summary>One moto_server for every test of this assembly that talks to AWS; such tests run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class MotoCollection : ICollectionFixture<MotoFixture>
{
    public const string Name = "moto";
}

/// <summary>A thread-safe in-memory TextWriter whose lines tests read back.</summary>
public sealed class CapturedOutput : TextWriter
{
    private readonly StringBuilder _text = new();

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        lock (_text)
            _text.Append(value);
    }

    public override void Write(string? value)
    {
        lock (_text)
            _text.Append(value);
    }

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_text)
                return _text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }
    }
}

/// <summary>A controllable clock.</summary>
public sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}

/// <summary>Builds LambdaContexts over captured output.</summary>
public static class TestContext
{
    public static LambdaContext Create(CapturedOutput output, TimeProvider? time = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var logger = new LambdaLogger(output, LogLevel.Debug, time);
        return new LambdaContext(logger, new EmfMetrics(logger, "test", time: time), time ?? TimeProvider.System,
            name => environment is not null && environment.TryGetValue(name, out var v) ? v : null);
    }

    /// <summary>An invocation whose payload is <paramref name="json"/>, with <paramref name="timeLeft"/> before its deadline.</summary>
    public static LambdaInvocation Invocation(string json, TimeProvider? time = null, TimeSpan? timeLeft = null) =>
        new("req-" + Guid.NewGuid().ToString("N")[..8], (time ?? TimeProvider.System).GetUtcNow() + (timeLeft ?? TimeSpan.FromMinutes(5)),
            "arn:aws:lambda:us-east-1:123456789012:function:test", "Root=1-test", Encoding.UTF8.GetBytes(json));
}

/// <summary>
/// The reconcile path wired as the function deploys it (<see cref="StackKeyReconciler"/> over the live Ingress
/// and Service sources, the AWS facts loader and the stack deployer), with AWS clients built from <paramref name="options"/>.
/// </summary>
public sealed class DeployedReconciler(AwsClientOptions options, IKubernetesApi api, ClusterSettings cluster, TimeSpan factsCacheWindow) : IDisposable
{
    private readonly Ec2Gateway _ec2 = Ec2Gateway.Create(options);
    private readonly Wafv2Client _waf = new(options);
    private readonly AcmClient _acm = new(options);

    public ElasticLoadBalancingV2Client Elb { get; } = new(options);

    public StackKeyReconciler Reconciler
    {
        get
        {
            var facts = new AwsFactsLoader(_ec2, Elb, _acm, _waf, factsCacheWindow);
            var deployer = new StackDeployer(Elb, _ec2, _waf, options.CallRecorder);
            return new(
                new IngressGroupReconciler(new LiveIngressGroupSource(api, cluster), cluster, facts, deployer),
                new ServiceReconciler(new LiveServiceSource(api), cluster, facts, deployer, Serverless.Service.ServiceModelBuilder.Build));
        }
    }

    public void Dispose()
    {
        _ec2.Dispose();
        _waf.Dispose();
        _acm.Dispose();
        Elb.Dispose();
    }
}
