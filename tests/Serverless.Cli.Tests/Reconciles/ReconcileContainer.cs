using k8s.Models;
using Serverless.Aws.Acm;
using Serverless.Aws.Core;
using Serverless.Aws.Ec2;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.Wafv2;
using Serverless.Deploy;
using Serverless.Deploy.Tests.Infrastructure;
using Serverless.Ingress;
using Serverless.Model;
using Serverless.Reconcile;
using Serverless.Testing;

namespace Serverless.Cli.Tests.Reconciles;

/// <summary>What one reconcile (facts + deploy) cost.</summary>
/// <param name="Deploy">The deployer's result.</param>
/// <param name="Calls">Every AWS call of the reconcile (facts and deploy), by operation.</param>
/// <param name="FactsCalls">How many of them the facts loader made.</param>
public sealed record ReconcileCost(DeployResult Deploy, IReadOnlyDictionary<string, long> Calls, long FactsCalls)
{
    public long Total => Calls.Values.Sum();

    public long Mutating => Calls.Where(static c => DeployResult.IsMutatingOperation(c.Key)).Sum(static c => c.Value);

    public long Of(string operation) => Calls.GetValueOrDefault(operation.Contains(':', StringComparison.Ordinal) ? operation : "ELBv2:" + operation);
}

/// <summary>
/// One Lambda container reconciling the test group "shop" as the functions do: one set of clients, one facts loader
/// with the 5-minute cache on a manual clock, one deployer (its memory lives as long as the container), and per
/// reconcile: facts → the stack (<see cref="TestStacks"/>, under the generated load balancer name) → deploy, with the
/// facts' fresh reads handed to the deployer. The members' status points at the load balancer once it exists.
/// </summary>
public sealed class ReconcileContainer : IDisposable
{
    public static readonly TimeSpan FactsWindow = TimeSpan.FromMinutes(5);

    private static readonly StackId Group = StackId.Explicit("shop");
    private readonly World _world;
    private readonly ElasticLoadBalancingV2Client _elb;
    private readonly IEc2Gateway _ec2;
    private readonly AcmClient _acm;
    private readonly Wafv2Client _waf;
    private readonly AwsFactsLoader _facts;
    private readonly StackDeployer _deployer;
    private string? _hostname;

    public ReconcileContainer(MotoServer moto, World world, Func<HttpMessageHandler, HttpMessageHandler>? wrap = null)
    {
        ArgumentNullException.ThrowIfNull(moto);
        _world = world;
        var options = moto.ClientOptions(Recorder, wrap);
        _elb = new ElasticLoadBalancingV2Client(options);
        _ec2 = Ec2Gateway.Create(options);
        _acm = new AcmClient(options);
        _waf = new Wafv2Client(options);
        _facts = new AwsFactsLoader(_ec2, _elb, _acm, _waf, FactsWindow, Clock);
        _deployer = new StackDeployer(_elb, _ec2, _waf, Recorder);
    }

    public AwsCallRecorder Recorder { get; } = new();

    /// <summary>
    /// Whether the facts' fresh reads go to the deployer (<see cref="DeployOptions.Known"/>); false reconciles as an
    /// orchestration that does not pass them. Default true.
    /// </summary>
    public bool PassKnownReads { get; set; } = true;

    public ManualClock Clock { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public static ClusterSettings Cluster(World world) => new() { ClusterName = World.Cluster, VpcId = world.VpcId };

    /// <summary>One reconcile of <paramref name="shape"/>: event-driven, or a full drift check (fresh facts, compare all).</summary>
    public async Task<ReconcileCost> ReconcileAsync(GroupShape shape, bool fullDriftCheck = false)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var cluster = Cluster(_world);
        var members = Members();
        var nodes = _world.Instances.Select(static (id, i) => new V1Node
        {
            Metadata = new V1ObjectMeta { Name = $"node{i}" },
            Spec = new V1NodeSpec { ProviderID = "aws:///us-east-1a/" + id },
        }).ToList();
        var before = Recorder.Calls;
        KnownAwsReads? known = null;
        await _facts.LoadAsync(cluster, Group, members, nodes, default, fresh: fullDriftCheck, read: r => known = r);
        var factsCalls = Recorder.TotalCalls - before.Values.Sum();
        var built = TestStacks.Build(_world, shape);
        var name = Naming.LoadBalancerName(World.Cluster, Group, shape.Scheme);
        var stack = built with
        {
            LoadBalancer = built.LoadBalancer is { } lb ? lb with { Name = name } : null,
            KnownLoadBalancerNames = [.. AwsFactsLoader.CandidateLoadBalancerNames(cluster, Group, members).Append(name).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
        };
        var deploy = await _deployer.DeployAsync(stack, new DeployOptions
        {
            ClusterName = World.Cluster,
            VpcId = _world.VpcId,
            FullDriftCheck = fullDriftCheck,
            Known = PassKnownReads ? known : null,
        });
        if (deploy.DnsName is not null)
            _hostname = deploy.DnsName;
        var calls = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var (key, count) in Recorder.Calls)
        {
            var delta = count - before.GetValueOrDefault(key);
            if (delta > 0)
                calls[key] = delta;
        }
        return new ReconcileCost(deploy, calls, factsCalls);
    }

    private List<V1Ingress> Members() =>
    [
        .. new[] { "web", "api" }.Select(n => new V1Ingress
        {
            Metadata = new V1ObjectMeta
            {
                Name = n,
                NamespaceProperty = "default",
                Annotations = new Dictionary<string, string> { ["alb.ingress.kubernetes.io/group.name"] = "shop" },
            },
            Status = _hostname is null ? null : new V1IngressStatus
            {
                LoadBalancer = new V1IngressLoadBalancerStatus { Ingress = [new V1IngressLoadBalancerIngress { Hostname = _hostname }] },
            },
        }),
    ];

    public void Dispose()
    {
        _elb.Dispose();
        (_ec2 as IDisposable)?.Dispose();
        _acm.Dispose();
        _waf.Dispose();
    }
}

/// <summary>A clock that moves only when told.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
