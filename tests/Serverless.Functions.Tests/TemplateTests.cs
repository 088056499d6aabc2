using System.Text.Json.Nodes;
using Serverless.Testing;

namespace Serverless.Functions.Tests;

/// <summary>template.yaml: cfn-lint clean, and what the SAM translator makes of it (the CloudFormation that deploys).</summary>
public sealed class TemplateTests
{
    /// <summary>The template as the SAM translator makes it (shared by the template test classes).</summary>
    internal static readonly Lazy<JsonObject> Translated = new(() =>
    {
        var (exit, stdout, stderr) = RepoPaths.Run("python3", [RepoPaths.Combine("tests", "Serverless.Functions.Tests", "sam_translate.py"), RepoPaths.Combine("template.yaml")]);
        Assert.True(exit == 0, stderr);
        return JsonNode.Parse(stdout)!.AsObject();
    });

    private static IEnumerable<(string Name, JsonObject Resource)> Resources(string type) =>
        Translated.Value["Resources"]!.AsObject()
            .Where(r => (string?)r.Value!["Type"] == type)
            .Select(r => (r.Key, r.Value!.AsObject()));

    private static JsonObject Resource(string name) => Translated.Value["Resources"]![name]!.AsObject();

    /// <summary>A policy document, also when written as a substituted JSON string (Fn::Sub).</summary>
    private static JsonObject Document(JsonNode node) =>
        node is JsonObject o && o.TryGetPropertyValue("Fn::Sub", out var sub) ? JsonNode.Parse((string)sub!)!.AsObject() : node.AsObject();

    private static List<string> Strings(JsonNode? node) => node switch
    {
        null => [],
        JsonArray array => [.. array.SelectMany(Strings)],
        JsonValue value when value.TryGetValue<string>(out var s) => [s],
        _ => [node.ToJsonString()],
    };

    /// <summary>
    /// Every statement of every policy attached to <paramref name="role"/> (inline and AWS::IAM::Policy), intrinsics
    /// resolved for a stack without VPC mode (other resources' ARNs stand in as <c>arn:aws:&lt;service&gt;:…:&lt;logical id&gt;</c>).
    /// </summary>
    private static List<JsonObject> Statements(string role) =>
        [.. Iam.TemplatePolicy.ForRole(role, new Dictionary<string, string> { ["ClusterName"] = "c", ["VpcId"] = "vpc-1" }).Statements];

    [Fact]
    public void Cfn_lint_reports_nothing_on_the_template_and_the_EKS_access_entry()
    {
        var (exit, stdout, stderr) = RepoPaths.Run("cfn-lint", [RepoPaths.Combine("template.yaml"), RepoPaths.Combine("infra", "eks-access", "access-entry.yaml")]);

        Assert.True(exit == 0, stdout + stderr);
        Assert.Equal("", stdout.Trim());
    }

    [Fact]
    public void Every_SQS_event_source_mapping_reports_batch_item_failures_and_the_reconcile_one_is_bounded()
    {
        var mappings = Resources("AWS::Lambda::EventSourceMapping").ToList();

        Assert.Equal(["InstanceEventsFunctionDrainChecks", "ReconcileFunctionKeys", "ReplayFunctionRelay"], mappings.Select(m => m.Name).Order(StringComparer.Ordinal));
        Assert.All(mappings, m => Assert.Equal(["ReportBatchItemFailures"], Strings(m.Resource["Properties"]!["FunctionResponseTypes"])));
        var reconcile = Resource("ReconcileFunctionKeys")["Properties"]!;
        Assert.Equal(10, (int)reconcile["BatchSize"]!);
        Assert.Equal("ReconcileConcurrency", (string?)reconcile["ScalingConfig"]!["MaximumConcurrency"]!["Ref"]);
        Assert.Equal("ReconcileQueue", (string?)reconcile["EventSourceArn"]!["Fn::GetAtt"]![0]);
    }

    [Fact]
    public void The_FIFO_queue_redrives_to_a_FIFO_dead_letter_queue_after_MaxReceiveCount_and_both_are_encrypted()
    {
        var queue = Resource("ReconcileQueue")["Properties"]!;
        var dlq = Resource("DeadLetterQueue")["Properties"]!;

        Assert.True((bool)queue["FifoQueue"]!);
        Assert.True((bool)dlq["FifoQueue"]!);
        Assert.Equal("DeadLetterQueue", (string?)queue["RedrivePolicy"]!["deadLetterTargetArn"]!["Fn::GetAtt"]![0]);
        Assert.Equal("MaxReceiveCount", (string?)queue["RedrivePolicy"]!["maxReceiveCount"]!["Ref"]);
        Assert.All(Resources("AWS::SQS::Queue"), q => Assert.True((bool)q.Resource["Properties"]!["SqsManagedSseEnabled"]!));
        Assert.Contains(Resources("AWS::CloudWatch::Alarm"), a => (string?)a.Resource["Properties"]!["Dimensions"]![0]!["Value"]!["Fn::GetAtt"]![0] == "DeadLetterQueue");
    }

    [Fact]
    public void Every_mutating_ELBv2_and_EC2_statement_carries_a_cluster_tag_condition_creates_on_the_request_and_changes_on_the_resource()
    {
        var statements = Statements("LambdaRole");
        // SetWebAcl (no resource type, no condition key; see its own test) and SetRulePriorities (a resource type but no
        // condition key) cannot carry a tag condition; CreateSecurityGroup's VPC is the cluster's VPC, which carries no
        // request tags (PolicyTests checks all of them as AWS authorizes them). TargetGroupBindings register targets into
        // target groups made outside Kubernetes, which carry none of our tags: only the two target calls, limited by the
        // name-pattern parameter (PolicyBindingTests).
        static bool Exempt(JsonObject s) =>
            Strings(s["Action"]).All(static a => a is "elasticloadbalancing:SetWebAcl" or "elasticloadbalancing:SetRulePriorities")
            || ((string?)s["Sid"] == "ElbBindingTargets" && Strings(s["Action"]).All(static a => a is "elasticloadbalancing:RegisterTargets" or "elasticloadbalancing:DeregisterTargets"))
            || Strings(s["Resource"]).All(static r => r.Contains(":vpc/", StringComparison.Ordinal));
        var mutating = statements.Where(s => Strings(s["Action"]).Any(IsMutatingElbOrEc2) && !Exempt(s)).ToList();

        Assert.NotEmpty(mutating);
        foreach (var statement in mutating)
        {
            var condition = statement["Condition"]?.ToJsonString() ?? "";
            Assert.True(condition.Contains("elbv2.k8s.aws/cluster", StringComparison.Ordinal) || condition.Contains("kubernetes.io/cluster/", StringComparison.Ordinal),
                $"statement {statement["Sid"]} has no cluster-tag condition: {statement.ToJsonString()}");
            var actions = Strings(statement["Action"]);
            if (actions.Any(a => a.Contains(":Create", StringComparison.Ordinal) && a != "ec2:CreateTags" && a != "elasticloadbalancing:AddTags"))
                Assert.Contains("aws:RequestTag/elbv2.k8s.aws/cluster", condition, StringComparison.Ordinal);
            if (actions.Any(a => a.Contains(":Delete", StringComparison.Ordinal) || a.Contains(":Modify", StringComparison.Ordinal)))
                Assert.Contains("aws:ResourceTag/", condition, StringComparison.Ordinal);
        }
        // Describes are the only unconditioned ELBv2/EC2 actions.
        var unconditioned = statements.Where(s => s["Condition"] is null && !Exempt(s)).SelectMany(s => Strings(s["Action"]))
            .Where(a => a.StartsWith("elasticloadbalancing:", StringComparison.Ordinal) || a.StartsWith("ec2:", StringComparison.Ordinal))
            .Where(static a => a != "elasticloadbalancing:SetWebAcl");
        Assert.All(unconditioned, a => Assert.Contains(":Describe", a, StringComparison.Ordinal));
    }

    [Fact]
    public void The_forwarder_role_may_only_send_messages_to_the_queue_and_only_its_ServiceAccount_may_assume_it()
    {
        var statement = Assert.Single(Statements("ForwarderRole"));
        var trust = Document(Resource("ForwarderRole")["Properties"]!["AssumeRolePolicyDocument"]!);
        var assume = Assert.Single(trust["Statement"]!.AsArray())!;

        Assert.Equal("Allow", (string?)statement["Effect"]);
        Assert.Equal(["sqs:SendMessage"], Strings(statement["Action"]));
        Assert.Equal("arn:aws:sqs:us-east-1:123456789012:ReconcileQueue", (string?)statement["Resource"]);
        Assert.Equal("sts:AssumeRoleWithWebIdentity", (string?)assume["Action"]);
        Assert.Equal("${ForwarderOidcProviderArn}", (string?)assume["Principal"]!["Federated"]);
        Assert.Equal("system:serviceaccount:${ForwarderNamespace}:${ForwarderServiceAccount}", (string?)assume["Condition"]!["StringEquals"]!["${ForwarderOidcProviderUrl}:sub"]);
    }

    [Fact]
    public void The_functions_are_AOT_custom_runtimes_with_their_own_log_groups_and_the_outputs_the_lead_needs()
    {
        var functions = Resources("AWS::Lambda::Function").ToList();

        // Reconcile, replay, instance events, and the optional readiness-gate webhook (ReadinessGateWebhookTemplateTests).
        Assert.Equal(4, functions.Count);
        Assert.All(functions, f =>
        {
            Assert.Equal("provided.al2023", (string?)f.Resource["Properties"]!["Runtime"]);
            Assert.Equal("bootstrap", (string?)f.Resource["Properties"]!["Handler"]);
            Assert.NotNull(f.Resource["Properties"]!["LoggingConfig"]!["LogGroup"]);
        });
        Assert.All(Resources("AWS::Logs::LogGroup"), g => Assert.Equal(30, (int)g.Resource["Properties"]!["RetentionInDays"]!));
        Assert.Equal(["DeadLetterQueueUrl", "ForwarderRoleArn", "LambdaRoleArn", "QueueArn", "QueueUrl", "ReadinessGateWebhookRoleArn", "ReadinessGateWebhookUrl"], Translated.Value["Outputs"]!.AsObject().Select(o => o.Key).Order(StringComparer.Ordinal));
        var rules = Resources("AWS::Events::Rule").Select(r => r.Resource["Properties"]!["EventPattern"]?["detail-type"]?[0]?.GetValue<string>()).Where(d => d is not null);
        Assert.Equal(
            ["AWS Health Event", "EC2 Instance Rebalance Recommendation", "EC2 Instance State-change Notification", "EC2 Instance-terminate Lifecycle Action", "EC2 Spot Instance Interruption Warning"],
            rules.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_lambda_role_may_manage_web_acl_associations_and_SetWebAcl_has_no_condition_IAM_cannot_evaluate()
    {
        var statements = Statements("LambdaRole");
        var waf = statements.Where(s => Strings(s["Action"]).Any(static a => a.StartsWith("wafv2:", StringComparison.Ordinal))).ToList();
        var setWebAcl = Assert.Single(statements, s => Strings(s["Action"]).Contains("elasticloadbalancing:SetWebAcl"));

        Assert.Equal(
            ["wafv2:AssociateWebACL", "wafv2:DisassociateWebACL", "wafv2:GetWebACLForResource", "wafv2:ListWebACLs"],
            waf.SelectMany(s => Strings(s["Action"])).Where(static a => a.StartsWith("wafv2:", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        // The association actions: regional web ACLs and ALBs of the account and Region only.
        var association = Assert.Single(waf, s => Strings(s["Action"]).Contains("wafv2:AssociateWebACL"));
        Assert.Equal(
            ["arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/*/*", "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/*/*"],
            Strings(association["Resource"]).Order(StringComparer.Ordinal));
        // SetWebAcl has neither resource types nor condition keys: a tag condition would deny every association.
        Assert.Equal(["elasticloadbalancing:SetWebAcl"], Strings(setWebAcl["Action"]));
        Assert.Equal(["*"], Strings(setWebAcl["Resource"]));
        Assert.Null(setWebAcl["Condition"]);
    }

    [Fact]
    public void The_lambda_role_may_read_cognito_user_pool_clients_and_create_only_the_ELB_service_linked_role()
    {
        var statements = Statements("LambdaRole");
        var cognito = Assert.Single(statements, s => Strings(s["Action"]).Contains("cognito-idp:DescribeUserPoolClient"));
        var linkedRole = Assert.Single(statements, s => Strings(s["Action"]).Contains("iam:CreateServiceLinkedRole"));

        Assert.Equal(["cognito-idp:DescribeUserPoolClient"], Strings(cognito["Action"]));
        Assert.Equal(["iam:CreateServiceLinkedRole"], Strings(linkedRole["Action"]));
        Assert.Equal("elasticloadbalancing.amazonaws.com", (string?)linkedRole["Condition"]!["StringEquals"]!["iam:AWSServiceName"]);
        Assert.DoesNotContain(statements, s => Strings(s["Action"]).Any(static a => a.StartsWith("iam:", StringComparison.Ordinal) && a != "iam:CreateServiceLinkedRole"));
    }

    [Fact]
    public void Only_the_operators_lifecycle_hooks_reach_the_instance_events_function_which_is_told_their_names()
    {
        var parameter = Translated.Value["Parameters"]!["LifecycleHookName"]!.AsObject();
        Assert.Equal("String", (string?)parameter["Type"]);
        Assert.Equal("", (string?)parameter["Default"]);
        Assert.Matches((string)parameter["AllowedPattern"]!, "drain,spot-drain");
        Assert.Matches((string)parameter["AllowedPattern"]!, "");
        Assert.DoesNotMatch((string)parameter["AllowedPattern"]!, "drain, spot-drain");

        var variables = Resource("InstanceEventsFunction")["Properties"]!["Environment"]!["Variables"]!;
        Assert.Equal("LifecycleHookName", (string?)variables["LIFECYCLE_HOOK_NAME"]!["Ref"]);

        var pattern = Resources("AWS::Events::Rule")
            .Select(r => r.Resource["Properties"]!["EventPattern"])
            .OfType<JsonObject>()
            .Single(p => Strings(p["detail-type"]).SequenceEqual(["EC2 Instance-terminate Lifecycle Action"]));
        Assert.Equal(["aws.autoscaling"], Strings(pattern["source"]));
        var split = pattern["detail"]!["LifecycleHookName"]!["Fn::Split"]!.AsArray();
        Assert.Equal(",", (string?)split[0]);
        Assert.Equal("LifecycleHookName", (string?)split[1]!["Ref"]);
    }

    [Fact]
    public void The_lambda_role_carries_no_AWS_managed_policy_and_VPC_access_only_when_SubnetIds_is_set()
    {
        Assert.Null(Resource("LambdaRole")["Properties"]!["ManagedPolicyArns"]);
        Assert.DoesNotContain(Statements("LambdaRole"), static s => Strings(s["Action"]).Any(static a => a.Contains("NetworkInterface", StringComparison.Ordinal) && !a.Contains(":Describe", StringComparison.Ordinal)));
        var vpc = Iam.TemplatePolicy.ForRole("LambdaRole", new Dictionary<string, string> { ["ClusterName"] = "c", ["VpcId"] = "vpc-1", ["SubnetIds"] = "subnet-a", ["SecurityGroupIds"] = "sg-a" });
        Assert.Contains(vpc.Statements, static s => Strings(s["Action"]).Contains("ec2:CreateNetworkInterface"));
        Assert.DoesNotContain(vpc.Statements, static s => Strings(s["Action"]).Contains("ec2:CreateNetworkInterface") && Strings(s["Resource"]).Contains("*"));
    }

    [Fact]
    public void The_lambda_role_may_only_read_acm_certificates_for_discovery()
    {
        var allowed = Statements("LambdaRole").Where(static s => s["Effect"]!.GetValue<string>() == "Allow").SelectMany(static s => Strings(s["Action"]));

        Assert.Equal(["acm:DescribeCertificate", "acm:ListCertificates"], allowed.Where(static a => a.StartsWith("acm:", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
    }

    private static bool IsMutatingElbOrEc2(string action) =>
        (action.StartsWith("elasticloadbalancing:", StringComparison.Ordinal) || action.StartsWith("ec2:", StringComparison.Ordinal))
        && !action.Contains(":Describe", StringComparison.Ordinal) && !action.Contains(":Get", StringComparison.Ordinal);

    [Fact]
    public void Only_the_replay_functions_own_messages_may_ask_the_reconcile_for_a_full_drift_check()
    {
        var variables = Resource("ReconcileFunction")["Properties"]!["Environment"]!["Variables"]!.AsObject();
        var sender = variables["REPLAY_SENDER_ID"]!["Fn::Sub"]!.GetValue<string>();

        // SQS's SenderId of a message sent by a Lambda function is <role id>:<session name>, the session being the function's name.
        Assert.Equal("${LambdaRole.RoleId}:${AWS::StackName}-replay", sender);
        Assert.Equal("${AWS::StackName}-replay", Resource("ReplayFunction")["Properties"]!["FunctionName"]!["Fn::Sub"]!.GetValue<string>());
        Assert.Equal("LambdaRole.Arn", Resource("ReplayFunction")["Properties"]!["Role"]!["Fn::GetAtt"]!.AsArray().Select(p => p!.GetValue<string>()).Aggregate((a, b) => a + "." + b));
    }
}
