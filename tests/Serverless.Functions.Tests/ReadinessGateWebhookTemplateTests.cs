using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using k8s.Models;
using Serverless.Functions.Webhook;
using Serverless.Testing;
using Serverless.Testing.Rbac;

namespace Serverless.Functions.Tests;

/// <summary>
/// The readiness-gate webhook's deployment: the template's parameter, condition, function, Function URL, role and
/// outputs (as the SAM translator makes them), the MutatingWebhookConfiguration, and the access entry of its identity.
/// </summary>
public sealed class ReadinessGateWebhookTemplateTests
{
    private const string Condition = "HasPodReadinessGateWebhook";

    private static JsonObject Template => TemplateTests.Translated.Value;

    private static JsonObject Resource(string name) => Template["Resources"]![name]!.AsObject();

    private static List<string> Strings(JsonNode? node) => node switch
    {
        null => [],
        JsonArray array => [.. array.SelectMany(Strings)],
        JsonValue value when value.TryGetValue<string>(out var s) => [s],
        _ => [node.ToJsonString()],
    };

    [Fact]
    public void The_webhook_is_off_by_default_and_every_resource_and_output_of_it_carries_its_condition()
    {
        var parameter = Template["Parameters"]!["EnablePodReadinessGateWebhook"]!;
        Assert.Equal("false", (string?)parameter["Default"]);
        Assert.Equal(["true", "false"], Strings(parameter["AllowedValues"]));
        var condition = Template["Conditions"]![Condition]!["Fn::Equals"]!.AsArray();
        Assert.Equal("EnablePodReadinessGateWebhook", (string?)condition[0]!["Ref"]);
        Assert.Equal("true", (string?)condition[1]);

        // With the parameter at its default, CloudFormation creates none of these: exactly the webhook's resources.
        var conditioned = Template["Resources"]!.AsObject().Where(r => (string?)r.Value!["Condition"] == Condition).Select(r => r.Key + " " + (string?)r.Value!["Type"]);
        Assert.Equal(
            [
                "ReadinessGateWebhookFunction AWS::Lambda::Function",
                "ReadinessGateWebhookFunctionURLInvokeAllowPublicAccess AWS::Lambda::Permission",
                "ReadinessGateWebhookFunctionUrl AWS::Lambda::Url",
                "ReadinessGateWebhookFunctionUrlPublicPermissions AWS::Lambda::Permission",
                "ReadinessGateWebhookLogGroup AWS::Logs::LogGroup",
                "ReadinessGateWebhookRole AWS::IAM::Role",
            ],
            conditioned.Order(StringComparer.Ordinal));
        // Nothing created without the condition refers to them (that stack would not deploy), and the outputs that do carry it.
        var webhookNames = Template["Resources"]!.AsObject().Where(r => (string?)r.Value!["Condition"] == Condition).Select(r => r.Key).ToList();
        foreach (var (name, resource) in Template["Resources"]!.AsObject().Where(r => (string?)r.Value!["Condition"] != Condition))
            Assert.DoesNotContain(webhookNames, w => resource!.ToJsonString().Contains($"\"{w}", StringComparison.Ordinal) || resource.ToJsonString().Contains("${" + w, StringComparison.Ordinal));
        Assert.All(
            Template["Outputs"]!.AsObject().Where(o => webhookNames.Any(w => o.Value!.ToJsonString().Contains(w, StringComparison.Ordinal))),
            o => Assert.Equal(Condition, (string?)o.Value!["Condition"]));
    }

    [Fact]
    public void The_function_is_an_AOT_custom_runtime_with_its_token_and_a_timeout_below_the_webhooks()
    {
        var properties = Resource("ReadinessGateWebhookFunction")["Properties"]!;
        var webhook = Assert.Single(Configuration().Webhooks);

        Assert.Equal("provided.al2023", (string?)properties["Runtime"]);
        Assert.Equal("bootstrap", (string?)properties["Handler"]);
        Assert.Equal("ReadinessGateWebhookRole", (string?)properties["Role"]!["Fn::GetAtt"]![0]);
        Assert.Equal("WebhookPathToken", (string?)properties["Environment"]!["Variables"]![ReadinessGateWebhookOptions.TokenVariable]!["Ref"]);
        Assert.Equal("ReadinessGateWebhookLogGroup", (string?)properties["LoggingConfig"]!["LogGroup"]!["Ref"]);
        Assert.True((int)properties["Timeout"]! < webhook.TimeoutSeconds, "the function must answer before the API server gives up");
        // sam build runs `make build-ReadinessGateWebhookFunction`, which publishes the webhook project.
        Assert.Contains("build-ReadinessGateWebhookFunction:\n\t$(call publish_function,Webhook)", File.ReadAllText(RepoPaths.Combine("Makefile")).ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public void The_Function_URL_is_public_because_the_API_server_cannot_sign_and_the_token_parameter_is_secret_and_strong()
    {
        var url = Resource("ReadinessGateWebhookFunctionUrl")["Properties"]!;
        var token = Template["Parameters"]!["WebhookPathToken"]!;
        var rule = Template["Rules"]!["WebhookNeedsAToken"]!;

        Assert.Equal("NONE", (string?)url["AuthType"]);
        Assert.Equal("ReadinessGateWebhookFunction", (string?)url["TargetFunctionArn"]!["Ref"]);
        Assert.Equal("ReadinessGateWebhookFunctionUrl", (string?)Template["Outputs"]!["ReadinessGateWebhookUrl"]!["Value"]!["Fn::GetAtt"]![0]);
        Assert.True((bool)token["NoEcho"]!);
        var pattern = (string)token["AllowedPattern"]!;
        Assert.Matches(pattern, "");
        Assert.Matches(pattern, new string('a', 64));
        Assert.DoesNotMatch(pattern, new string('a', 31));
        Assert.DoesNotMatch(pattern, new string('a', 40) + "/");
        // Every non-empty value CloudFormation accepts is one the function starts with.
        foreach (var accepted in new[] { new string('Z', 32), "aZ09_-" + new string('x', 122) })
        {
            Assert.Matches(pattern, accepted);
            var environment = new Dictionary<string, string> { [ReadinessGateWebhookOptions.TokenVariable] = accepted };
            Assert.Equal(accepted, ReadinessGateWebhookOptions.FromContext(TestContext.Create(new CapturedOutput(), environment: environment)).PathToken);
        }
        // Turned on without a token, the stack does not deploy (the function would fail its init).
        Assert.Equal("EnablePodReadinessGateWebhook", (string?)rule["RuleCondition"]!["Fn::Equals"]![0]!["Ref"]);
        Assert.Equal("WebhookPathToken", (string?)rule["Assertions"]![0]!["Assert"]!["Fn::Not"]![0]!["Fn::Equals"]![0]!["Ref"]);
    }

    [Fact]
    public void The_webhook_role_may_write_its_logs_and_nothing_else_and_only_Lambda_may_assume_it()
    {
        var on = new Dictionary<string, string> { ["ClusterName"] = "c", ["VpcId"] = "vpc-1", ["EnablePodReadinessGateWebhook"] = "true" };
        var statement = Assert.Single(Iam.TemplatePolicy.ForRole("ReadinessGateWebhookRole", on).Statements);
        var trust = Assert.Single(Resource("ReadinessGateWebhookRole")["Properties"]!["AssumeRolePolicyDocument"]!["Statement"]!.AsArray())!;

        Assert.Equal("Allow", (string?)statement["Effect"]);
        Assert.Equal(["logs:CreateLogStream", "logs:PutLogEvents"], Strings(statement["Action"]).Order(StringComparer.Ordinal));
        Assert.Equal(["arn:aws:logs:us-east-1:123456789012:ReadinessGateWebhookLogGroup"], Strings(statement["Resource"]));
        Assert.Equal("lambda.amazonaws.com", (string?)trust["Principal"]!["Service"]);
        Assert.Equal("sts:AssumeRole", (string?)trust["Action"]);
        Assert.Null(Resource("ReadinessGateWebhookRole")["Properties"]!["ManagedPolicyArns"]);
    }

    [Fact]
    public void In_a_VPC_the_webhook_role_gets_exactly_the_network_interface_statements_of_the_functions_role()
    {
        var vpc = new Dictionary<string, string>
        {
            ["ClusterName"] = "c", ["VpcId"] = "vpc-1", ["EnablePodReadinessGateWebhook"] = "true", ["SubnetIds"] = "subnet-a,subnet-b", ["SecurityGroupIds"] = "sg-a",
        };
        static string Eni(JsonObject s) => s.ToJsonString();
        var webhook = Iam.TemplatePolicy.ForRole("ReadinessGateWebhookRole", vpc).Statements.Where(s => (string?)s["Sid"] != "Logs").Select(Eni).ToList();
        var functions = Iam.TemplatePolicy.ForRole("LambdaRole", vpc).Statements.Where(s => ((string?)s["Sid"])?.StartsWith("LambdaEni", StringComparison.Ordinal) == true).Select(Eni).ToList();

        Assert.Equal(4, webhook.Count);
        Assert.Equal(functions, webhook);
    }

    [Fact]
    public void The_mutating_webhook_configuration_is_upstreams_mpod_with_failurePolicy_Ignore_and_the_token_path()
    {
        var configuration = Configuration();
        var webhook = Assert.Single(configuration.Webhooks);
        var rule = Assert.Single(webhook.Rules);
        var selector = Assert.Single(webhook.NamespaceSelector.MatchExpressions);
        var text = File.ReadAllText(RepoPaths.Combine("infra", "webhook", "mutating-webhook.yaml"));

        Assert.Equal("mpod.elbv2.k8s.aws", webhook.Name);
        Assert.Equal(["v1"], webhook.AdmissionReviewVersions);
        Assert.Equal("None", webhook.SideEffects);
        Assert.Equal("Ignore", webhook.FailurePolicy);
        Assert.InRange(webhook.TimeoutSeconds ?? 0, 1, 30);
        Assert.Equal([""], rule.ApiGroups);
        Assert.Equal(["v1"], rule.ApiVersions);
        Assert.Equal(["CREATE"], rule.Operations);
        Assert.Equal(["pods"], rule.Resources);
        Assert.Equal("elbv2.k8s.aws/pod-readiness-gate-inject", selector.Key);
        Assert.Equal("In", selector.OperatorProperty);
        Assert.Equal(["enabled"], selector.Values);
        Assert.Null(webhook.ClientConfig.Service);
        Assert.Null(webhook.ClientConfig.CaBundle);
        Assert.Equal("https://abc.lambda-url.us-east-1.on.aws/" + new string('t', 32) + "/" + ReadinessGateWebhookOptions.MutatePath, webhook.ClientConfig.Url);
        // The choice is explained where it is made.
        Assert.Matches(new Regex("#[^\n]*outage[^\n]*\n([ ]*#[^\n]*\n)*[ ]*failurePolicy: Ignore"), text);
    }

    [Fact]
    public void The_webhook_identity_is_mapped_to_its_read_only_group_only_when_its_role_is_given()
    {
        var entry = File.ReadAllText(RepoPaths.Combine("infra", "eks-access", "access-entry.yaml"));
        var rbac = TypedManifests.Load(RepoPaths.Combine("infra", "eks-access", "webhook-rbac.yaml"));

        Assert.Matches(new Regex(@"WebhookAccessEntry:\s+Type: AWS::EKS::AccessEntry\s+Condition: HasWebhook\s+Properties:[\s\S]*?PrincipalArn: !Ref WebhookRoleArn[\s\S]*?KubernetesGroups: \[serverless-lbc-webhook\]"), entry);
        Assert.Contains("HasWebhook: !Not [!Equals [!Ref WebhookRoleArn, \"\"]]", entry, StringComparison.Ordinal);
        var grants = RbacGrant.Of(rbac, "Group", "serverless-lbc-webhook");
        Assert.All(grants, g => Assert.Contains(g.Verb, new[] { "get", "list" }));
        Assert.Empty(RbacGrant.Of(rbac, "Group", "serverless-lbc-controller"));
        Assert.Single(rbac.OfType<V1ClusterRole>());
    }

    /// <summary>The configuration as applied with <c>WEBHOOK_URL</c> substituted.</summary>
    private static V1MutatingWebhookConfiguration Configuration() =>
        Assert.Single(TypedManifests.Load(RepoPaths.Combine("infra", "webhook", "mutating-webhook.yaml"),
            new Dictionary<string, string> { ["WEBHOOK_URL"] = "https://abc.lambda-url.us-east-1.on.aws/" + new string('t', 32) + "/mutate-v1-pod" })
            .OfType<V1MutatingWebhookConfiguration>());
}
