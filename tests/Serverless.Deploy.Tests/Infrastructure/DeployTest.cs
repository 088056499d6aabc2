using System.Text;
using System.Text.Json;
using SecurityGroup = Amazon.EC2.Model.SecurityGroup;
using DescribeSecurityGroupsRequest = Amazon.EC2.Model.DescribeSecurityGroupsRequest;
using Serverless.Aws.Core;
using Serverless.Aws.Ec2;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.Wafv2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Model;
using Serverless.Testing;

namespace Serverless.Deploy.Tests.Infrastructure;

/// <summary>
/// Base of every deployer test: resets moto, builds the <see cref="World"/>, records the foreign resources' Describe
/// output, and hands out a deployer whose clients go through fault injection (off unless a test arms it).
/// Derived classes carry <c>[Collection(MotoCollection.Name)]</c>.
/// </summary>
public abstract class DeployTest(MotoFixture fixture) : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };
    private readonly List<IDisposable> _disposables = [];
    private readonly List<FaultInjectionHandler> _handlers = [];

    protected MotoServer Moto { get; } = fixture.Server;

    protected World World { get; private set; } = null!;

    protected AwsCallRecorder Recorder { get; private set; } = new();

    protected CrashSwitch Crash { get; } = new();

    protected StackDeployer Deployer { get; private set; } = null!;

    /// <summary>A client without faults, for inspecting moto.</summary>
    protected ElasticLoadBalancingV2Client Inspect { get; private set; } = null!;

    protected string ForeignBaseline { get; private set; } = string.Empty;

    protected virtual int UnrelatedResources => 0;

    /// <summary>Fault rules every handler of the deployer's clients gets (throttling storms).</summary>
    protected virtual IReadOnlyList<FaultRule> Faults => [];

    protected virtual int FaultSeed => 7;

    /// <summary>The deployer's logger (none unless a test gives one).</summary>
    protected virtual Microsoft.Extensions.Logging.ILogger? DeployLogger => null;

    /// <summary>
    /// Canned answers for what moto cannot produce (an AWS refusal such as ResourceInUse): a request for which this
    /// returns a response never reaches moto. Null (the default), or null returned: moto answers.
    /// </summary>
    protected Func<CapturedRequest, HttpResponseMessage?>? Canned { get; set; }

    /// <summary>Where the deployer's clients send their requests instead of moto itself (a proxy in front of it); null: moto.</summary>
    protected string? Endpoint { get; set; }

    /// <summary>The deployer's clock (staged forwards are dated and bounded with it); null: the system clock.</summary>
    protected TimeProvider? Time { get; set; }

    /// <summary>Applied to every <see cref="Options"/> (a lowered rule quota, a health wait timeout).</summary>
    protected Func<DeployOptions, DeployOptions>? TuneOptions { get; set; }

    /// <summary>SetRulePriorities checks the new order as a whole, as on AWS (<see cref="AtomicRulePrioritiesHandler"/>). Default true.</summary>
    protected bool AtomicRulePriorities { get; set; } = true;

    /// <summary>An ELBv2 (Query protocol) error response.</summary>
    protected static HttpResponseMessage ElbError(string code, string message) => CannedResponseHandler.Xml(
        $"<ErrorResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>canned</RequestId></ErrorResponse>",
        System.Net.HttpStatusCode.BadRequest);

    /// <summary>An EC2 error response.</summary>
    protected static HttpResponseMessage Ec2Error(string code, string message) => CannedResponseHandler.Xml(
        $"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>canned</RequestID></Response>",
        System.Net.HttpStatusCode.BadRequest);

    public virtual async Task InitializeAsync()
    {
        Inspect = new ElasticLoadBalancingV2Client(Moto.ClientOptions());
        _disposables.Add(Inspect);
        await ResetWorldAsync();
    }

    /// <summary>An empty account again (moto reset), a new <see cref="World"/>, its foreign baseline and a new deployer.</summary>
    protected async Task ResetWorldAsync()
    {
        Moto.Reset();
        World = await World.CreateAsync(Moto, UnrelatedResources);
        await ForeignSnapshotAsync(); // moto turns "provisioning" into "active" on the first describe
        ForeignBaseline = await ForeignSnapshotAsync();
        Crash.Reset();
        NewDeployer();
    }

    /// <summary>
    /// A fresh deployer (fresh clients, recorder and handlers), as a new Lambda invocation would have. Its handlers get
    /// <see cref="Faults"/> unless <paramref name="faults"/> is false (a clean deployer to inspect a faulted run's result).
    /// </summary>
    protected void NewDeployer(bool faults = true)
    {
        Recorder = new AwsCallRecorder();
        var options = Moto.ClientOptions(Recorder, inner =>
        {
            var canned = new CannedResponseHandler(new ReplacingAssociationHandler(AtomicRulePriorities ? new AtomicRulePrioritiesHandler(inner) : inner), request => Canned?.Invoke(request));
            var handler = new FaultInjectionHandler(canned, FaultSeed + _handlers.Count) { Crash = Crash };
            foreach (var rule in faults ? Faults : [])
                handler.Add(rule with { });
            _handlers.Add(handler);
            return handler;
        });
        if (Endpoint is not null)
            options = options with { ServiceUrl = Endpoint };
        var elb = new ElasticLoadBalancingV2Client(options);
        var ec2 = Ec2Gateway.Create(options);
        var waf = new Wafv2Client(options);
        _disposables.Add(elb);
        _disposables.Add(ec2);
        _disposables.Add(waf);
        Deployer = new StackDeployer(elb, ec2, waf, Recorder, DeployLogger, time: Time);
    }

    public virtual Task DisposeAsync()
    {
        foreach (var d in _disposables)
            d.Dispose();
        return Task.CompletedTask;
    }

    protected Stack Build(GroupShape shape) => TestStacks.Build(World, shape);

    protected DeployOptions Options(DeployMode mode = DeployMode.Apply, bool full = false)
    {
        var options = new DeployOptions { ClusterName = World.Cluster, VpcId = World.VpcId, Mode = mode, FullDriftCheck = full };
        return TuneOptions is null ? options : TuneOptions(options);
    }

    protected Task<DeployResult> ApplyAsync(Stack stack, bool full = false) => Deployer.DeployAsync(stack, Options(DeployMode.Apply, full));

    protected Task<DeployResult> PlanAsync(Stack stack, bool full = true) => Deployer.DeployAsync(stack, Options(DeployMode.Plan, full));

    /// <summary>Applies until done (at most <paramref name="attempts"/> runs), as the queue would redeliver.</summary>
    protected async Task<DeployResult> ConvergeAsync(Stack stack, int attempts = 10)
    {
        DeployResult result = null!;
        for (var i = 0; i < attempts; i++)
        {
            result = await ApplyAsync(stack);
            if (result.Reconcile.Kind == ReconcileKind.Done)
                return result;
        }
        Assert.Fail($"did not converge in {attempts} runs: {result.Reconcile}\n{PlanRenderer.RenderText(result)}");
        return result;
    }

    /// <summary>Asserts the number of calls of one ELBv2 operation, showing the whole result when it differs.</summary>
    protected static void AssertCalls(DeployResult result, string operation, long expected)
    {
        var key = operation.Contains(':', StringComparison.Ordinal) ? operation : "ELBv2:" + operation;
        var actual = result.AwsCalls.GetValueOrDefault(key);
        Assert.True(expected == actual, $"{operation}: expected {expected}, got {actual}\n{PlanRenderer.RenderText(result)}");
    }

    protected static void AssertMutating(DeployResult result, long expected) =>
        Assert.True(expected == result.MutatingCalls, $"mutating calls: expected {expected}, got {result.MutatingCalls}\n{PlanRenderer.RenderText(result)}");

    protected static void AssertDone(DeployResult result) =>
        Assert.True(result.Reconcile.Kind == ReconcileKind.Done, PlanRenderer.RenderText(result));

    protected async Task AssertForeignUntouchedAsync() => Assert.Equal(ForeignBaseline, await ForeignSnapshotAsync());

    /// <summary>Describe output of every foreign resource, serialized (moto's Describe replies, byte for byte).</summary>
    protected async Task<string> ForeignSnapshotAsync()
    {
        var sb = new StringBuilder();
        var lbs = await Inspect.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest { LoadBalancerArns = [.. World.ForeignLoadBalancerArns] });
        sb.AppendLine(JsonSerializer.Serialize(lbs.LoadBalancers, Json));
        var tgs = await Inspect.DescribeTargetGroupsAsync(new DescribeTargetGroupsRequest { TargetGroupArns = [.. World.ForeignTargetGroupArns] });
        sb.AppendLine(JsonSerializer.Serialize(tgs.TargetGroups, Json));
        var tags = await Inspect.DescribeTagsAsync(new DescribeTagsRequest { ResourceArns = [.. World.ForeignLoadBalancerArns, .. World.ForeignTargetGroupArns] });
        sb.AppendLine(JsonSerializer.Serialize(tags.TagDescriptions, Json));
        foreach (var lb in World.ForeignLoadBalancerArns)
        {
            sb.AppendLine(JsonSerializer.Serialize((await Inspect.DescribeLoadBalancerAttributesAsync(new DescribeLoadBalancerAttributesRequest { LoadBalancerArn = lb })).Attributes, Json));
            var listeners = (await Inspect.DescribeListenersAsync(new DescribeListenersRequest { LoadBalancerArn = lb })).Listeners ?? [];
            sb.AppendLine(JsonSerializer.Serialize(listeners, Json));
            foreach (var l in listeners)
                sb.AppendLine(JsonSerializer.Serialize((await Inspect.DescribeRulesAsync(new DescribeRulesRequest { ListenerArn = l.ListenerArn })).Rules, Json));
        }
        foreach (var tg in World.ForeignTargetGroupArns)
        {
            sb.AppendLine(JsonSerializer.Serialize((await Inspect.DescribeTargetGroupAttributesAsync(new DescribeTargetGroupAttributesRequest { TargetGroupArn = tg })).Attributes, Json));
            sb.AppendLine(JsonSerializer.Serialize((await Inspect.DescribeTargetHealthAsync(new DescribeTargetHealthRequest { TargetGroupArn = tg })).TargetHealthDescriptions, Json));
        }
        using var ec2 = World.Ec2Sdk(Moto);
        var sgs = await ec2.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest { GroupIds = [.. World.ForeignSecurityGroupIds] });
        sb.AppendLine(JsonSerializer.Serialize(sgs.SecurityGroups.OrderBy(static g => g.GroupId).ToList(), Json));
        return sb.ToString();
    }

    /// <summary>
    /// <see cref="OwnedSnapshotAsync"/> with the IDs a new <see cref="World"/> draws afresh (instances, certificates, the
    /// VPC in the checkpoint hash) replaced by stable names, plus region-wide counts of load balancers, target groups,
    /// rules and security groups, so states reached in two worlds compare equal and untagged leaks still show.
    /// </summary>
    protected async Task<string> NormalizedSnapshotAsync()
    {
        var text = await OwnedSnapshotAsync();
        for (var i = 0; i < World.Instances.Count; i++)
            text = text.Replace(World.Instances[i], $"node{i}", StringComparison.Ordinal);
        text = text.Replace(World.CertificateArn, "cert1", StringComparison.Ordinal).Replace(World.SecondCertificateArn, "cert2", StringComparison.Ordinal);
        text = System.Text.RegularExpressions.Regex.Replace(text, DeployTags.Checkpoint + "=[0-9a-f]{64}", DeployTags.Checkpoint + "=<hash>");
        text = System.Text.RegularExpressions.Regex.Replace(text, DeployTags.StructureCheckpoint + "=[0-9a-f]{64}", DeployTags.StructureCheckpoint + "=<hash>");
        var lbs = await CountAsync(Inspect.DescribeLoadBalancersPaginatedAsync(new DescribeLoadBalancersRequest()));
        var tgs = await CountAsync(Inspect.DescribeTargetGroupsPaginatedAsync(new DescribeTargetGroupsRequest()));
        using var ec2 = World.Ec2Sdk(Moto);
        var sgs = (await ec2.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest())).SecurityGroups.Count;
        return text + $"\nregion: {lbs} load balancers, {tgs} target groups, {sgs} security groups";

        static async Task<int> CountAsync<T>(IAsyncEnumerable<T> items)
        {
            var n = 0;
            await foreach (var _ in items)
                n++;
            return n;
        }
    }

    /// <summary>
    /// Everything tagged for our cluster, region-wide, normalized (ARNs and IDs replaced by names), so two accounts that
    /// reached the same state by different paths compare equal. Duplicates and leaks show as extra lines.
    /// </summary>
    protected async Task<string> OwnedSnapshotAsync()
    {
        var lines = new List<string>();
        var lbs = new List<LoadBalancer>();
        await foreach (var lb in Inspect.DescribeLoadBalancersPaginatedAsync(new DescribeLoadBalancersRequest()))
            lbs.Add(lb);
        var tgs = new List<TargetGroup>();
        await foreach (var tg in Inspect.DescribeTargetGroupsPaginatedAsync(new DescribeTargetGroupsRequest()))
            tgs.Add(tg);
        var tags = new Dictionary<string, Dictionary<string, string>>();
        async Task AddTagsAsync(IEnumerable<string> arns)
        {
            foreach (var batch in arns.Chunk(20))
            {
                foreach (var d in (await Inspect.DescribeTagsAsync(new DescribeTagsRequest { ResourceArns = [.. batch] })).TagDescriptions ?? [])
                    tags[d.ResourceArn!] = (d.Tags ?? []).ToDictionary(static t => t.Key!, static t => t.Value ?? "");
            }
        }
        await AddTagsAsync(lbs.Select(static l => l.LoadBalancerArn!).Concat(tgs.Select(static t => t.TargetGroupArn!)));
        bool Ours(string arn) => tags.TryGetValue(arn, out var t) && t.GetValueOrDefault(TrackingTags.Cluster) == World.Cluster;
        using var ec2 = World.Ec2Sdk(Moto);
        var sgs = (await ec2.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest())).SecurityGroups;
        var sgNames = sgs.ToDictionary(static g => g.GroupId, static g => g.GroupName);
        var tgNames = tgs.ToDictionary(static t => t.TargetGroupArn!, static t => t.TargetGroupName!);
        string Name(string? s) => s is null ? "" : tgNames.GetValueOrDefault(s) ?? sgNames.GetValueOrDefault(s) ?? s;
        string Tags(string arn) => string.Join(",", tags[arn].OrderBy(static kv => kv.Key, StringComparer.Ordinal).Select(static kv => kv.Key + "=" + kv.Value));
        foreach (var lb in lbs.Where(l => Ours(l.LoadBalancerArn!)).OrderBy(static l => l.LoadBalancerName, StringComparer.Ordinal))
        {
            lines.Add($"LB {lb.LoadBalancerName} {lb.Scheme} {lb.Type} sgs={string.Join(",", (lb.SecurityGroups ?? []).Select(Name).Order())} subnets={(lb.AvailabilityZones ?? []).Count} tags={Tags(lb.LoadBalancerArn!)}");
            var attrs = (await Inspect.DescribeLoadBalancerAttributesAsync(new DescribeLoadBalancerAttributesRequest { LoadBalancerArn = lb.LoadBalancerArn })).Attributes ?? [];
            lines.Add("  attrs " + string.Join(",", attrs.OrderBy(static a => a.Key).Select(static a => a.Key + "=" + a.Value)));
            var listeners = (await Inspect.DescribeListenersAsync(new DescribeListenersRequest { LoadBalancerArn = lb.LoadBalancerArn })).Listeners ?? [];
            foreach (var l in listeners.OrderBy(static l => l.Port))
            {
                var rules = (await Inspect.DescribeRulesAsync(new DescribeRulesRequest { ListenerArn = l.ListenerArn })).Rules ?? [];
                await AddTagsAsync(rules.Where(static r => r.IsDefault != true).Select(static r => r.RuleArn!).Prepend(l.ListenerArn!));
                var certs = (await Inspect.DescribeListenerCertificatesAsync(new DescribeListenerCertificatesRequest { ListenerArn = l.ListenerArn })).Certificates ?? [];
                lines.Add($"  listener {l.Port} {l.Protocol} {l.SslPolicy} certs={string.Join(",", certs.Select(static c => c.CertificateArn).Order())} default={ElbMapping.Canonical(l.DefaultActions, Name)} tags={Tags(l.ListenerArn!)}");
                foreach (var r in rules.Where(static r => r.IsDefault != true).OrderBy(static r => int.Parse(r.Priority!)))
                {
                    lines.Add($"    rule {r.Priority} {ElbMapping.Canonical(r.Conditions)} => {ElbMapping.Canonical(r.Actions, Name)} tags={Tags(r.RuleArn!)}");
                }
            }
        }
        foreach (var tg in tgs.Where(t => Ours(t.TargetGroupArn!)).OrderBy(static t => t.TargetGroupName, StringComparer.Ordinal))
        {
            var attrs = (await Inspect.DescribeTargetGroupAttributesAsync(new DescribeTargetGroupAttributesRequest { TargetGroupArn = tg.TargetGroupArn })).Attributes ?? [];
            var health = (await Inspect.DescribeTargetHealthAsync(new DescribeTargetHealthRequest { TargetGroupArn = tg.TargetGroupArn })).TargetHealthDescriptions ?? [];
            lines.Add($"TG {tg.TargetGroupName} {tg.TargetType} {tg.Protocol}:{tg.Port} hc={tg.HealthCheckPath} lbs={(tg.LoadBalancerArns ?? []).Count} tags={Tags(tg.TargetGroupArn!)}");
            lines.Add("  attrs " + string.Join(",", attrs.OrderBy(static a => a.Key).Select(static a => a.Key + "=" + a.Value)));
            lines.Add("  targets " + string.Join(",", health.Select(static h => $"{h.Target!.Id}:{h.Target.Port}").Order()));
        }
        foreach (var sg in sgs.Where(static g => (g.Tags ?? []).Any(static t => t.Key == TrackingTags.Cluster && t.Value == World.Cluster)).OrderBy(static g => g.GroupName))
            lines.Add($"SG {sg.GroupName} rules={Rules(sg)} tags={string.Join(",", (sg.Tags ?? []).OrderBy(static t => t.Key).Select(static t => t.Key + "=" + t.Value))}");
        var node = sgs.First(g => g.GroupId == World.NodeSecurityGroupId);
        lines.Add($"NodeSG rules={Rules(node)}");
        return string.Join("\n", lines);

        string Rules(SecurityGroup g) => string.Join(";", (g.IpPermissions ?? []).SelectMany(p =>
            (p.Ipv4Ranges ?? []).Select(r => $"{p.IpProtocol}/{p.FromPort}-{p.ToPort}/{r.CidrIp}")
                .Concat((p.UserIdGroupPairs ?? []).Select(u => $"{p.IpProtocol}/{p.FromPort}-{p.ToPort}/{sgNames.GetValueOrDefault(u.GroupId ?? "") ?? u.GroupId}/{u.Description}"))).Order());
    }
}
