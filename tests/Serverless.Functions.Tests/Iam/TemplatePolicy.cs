using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Serverless.Testing;

namespace Serverless.Functions.Tests.Iam;

/// <summary>
/// The policies attached to a role of the translated template (what CloudFormation deploys), with every intrinsic
/// function resolved for one set of parameter values as CloudFormation would: Ref, Fn::Sub, Fn::Join, Fn::Split,
/// Fn::If over the template's Conditions, Fn::GetAtt (as a stand-in ARN naming the resource), AWS::NoValue.
/// </summary>
public static partial class TemplatePolicy
{
    public const string Account = "123456789012";
    public const string Region = "us-east-1";

    private static readonly Lazy<JsonObject> Translated = new(() =>
    {
        var (exit, stdout, stderr) = RepoPaths.Run("python3", [RepoPaths.Combine("tests", "Serverless.Functions.Tests", "sam_translate.py"), RepoPaths.Combine("template.yaml")]);
        Assert.True(exit == 0, stderr);
        return JsonNode.Parse(stdout)!.AsObject();
    });

    /// <summary>Every statement of every policy attached to <paramref name="role"/> (inline and AWS::IAM::Policy), resolved.</summary>
    public static IamPolicy ForRole(string role, IReadOnlyDictionary<string, string> parameters)
    {
        var template = Translated.Value;
        var resolver = new Resolver(template, parameters);
        var resources = template["Resources"]!.AsObject();
        var documents = new List<JsonNode?>();
        if (resolver.Resolve(resources[role]!["Properties"]!["Policies"]) is JsonArray inline)
            documents.AddRange(inline.Select(p => p!["PolicyDocument"]));
        foreach (var (_, resource) in resources)
        {
            if ((string?)resource!["Type"] != "AWS::IAM::Policy" || !resolver.IsCreated(resource))
                continue;
            var properties = resolver.Resolve(resource["Properties"])!.AsObject();
            if (properties["Roles"]!.AsArray().Any(r => (string?)r == role))
                documents.Add(properties["PolicyDocument"]);
        }
        var statements = documents.Select(d => d is JsonValue v ? JsonNode.Parse(v.GetValue<string>()) : d)
            .SelectMany(d => d!["Statement"]!.AsArray().Select(s => s!.AsObject()));
        return new IamPolicy(statements);
    }

    private sealed partial class Resolver(JsonObject template, IReadOnlyDictionary<string, string> parameters)
    {
        private static readonly JsonNode NoValue = JsonValue.Create("\u0000AWS::NoValue")!;

        public bool IsCreated(JsonNode resource) => resource["Condition"] is not JsonValue c || Condition(c.GetValue<string>());

        public JsonNode? Resolve(JsonNode? node)
        {
            switch (node)
            {
                case JsonArray array:
                    return new JsonArray([.. array.Select(Resolve).Where(n => !ReferenceEquals(n, NoValue))]);
                case JsonObject o when o.Count == 1 && o.First() is var (fn, arg) && (fn == "Ref" || fn.StartsWith("Fn::", StringComparison.Ordinal)):
                    return Function(fn, arg!);
                case JsonObject o:
                    var copy = new JsonObject();
                    foreach (var (key, value) in o)
                    {
                        var resolved = Resolve(value);
                        if (!ReferenceEquals(resolved, NoValue))
                            copy[key] = resolved;
                    }
                    return copy;
                default:
                    return node?.DeepClone();
            }
        }

        private JsonNode? Function(string fn, JsonNode arg) => fn switch
        {
            "Ref" => Ref(arg.GetValue<string>()),
            "Fn::Sub" when arg is JsonValue => JsonValue.Create(Sub(arg.GetValue<string>(), new Dictionary<string, string>())),
            "Fn::Sub" => JsonValue.Create(Sub(arg[0]!.GetValue<string>(), arg[1]!.AsObject().ToDictionary(v => v.Key, v => Text(Resolve(v.Value))))),
            "Fn::Join" => JsonValue.Create(string.Join(arg[0]!.GetValue<string>(), List(Resolve(arg[1])))),
            "Fn::Split" => new JsonArray([.. Text(Resolve(arg[1])).Split(arg[0]!.GetValue<string>()).Select(s => (JsonNode)JsonValue.Create(s)!)]),
            "Fn::If" => Resolve(Condition(arg[0]!.GetValue<string>()) ? arg[1] : arg[2]),
            "Fn::GetAtt" => JsonValue.Create(GetAtt(string.Join(".", arg.AsArray().Select(p => p!.GetValue<string>())))),
            _ => throw new NotSupportedException($"intrinsic function {fn} is not resolved by the policy tests"),
        };

        private bool Condition(string name)
        {
            var definition = template["Conditions"]?[name] ?? throw new InvalidOperationException($"no condition named {name}");
            return Truth(definition);
        }

        private bool Truth(JsonNode node)
        {
            var (fn, arg) = node.AsObject().First();
            return fn switch
            {
                "Fn::Not" => !Truth(arg![0]!),
                "Fn::Equals" => Text(Resolve(arg![0])) == Text(Resolve(arg[1])),
                "Condition" => Condition(arg!.GetValue<string>()),
                _ => throw new NotSupportedException($"condition function {fn} is not resolved by the policy tests"),
            };
        }

        private JsonNode Ref(string name)
        {
            if (name == "AWS::NoValue")
                return NoValue;
            var pseudo = Pseudo(name);
            if (pseudo is not null)
                return JsonValue.Create(pseudo)!;
            // A resource's Ref stands for its logical name (role names in AWS::IAM::Policy's Roles).
            if (template["Resources"]?[name] is not null)
                return JsonValue.Create(name)!;
            var parameter = template["Parameters"]?[name] ?? throw new InvalidOperationException($"Ref {name}: no such parameter or resource");
            var value = parameters.TryGetValue(name, out var v) ? v : (string?)parameter["Default"]?.ToString() ?? throw new InvalidOperationException($"parameter {name} has no value and no default");
            return ((string?)parameter["Type"])?.StartsWith("CommaDelimitedList", StringComparison.Ordinal) == true || ((string?)parameter["Type"])?.StartsWith("List<", StringComparison.Ordinal) == true
                ? new JsonArray([.. value.Split(',').Select(s => (JsonNode)JsonValue.Create(s)!)])
                : JsonValue.Create(value)!;
        }

        private static string? Pseudo(string name) => name switch
        {
            "AWS::Partition" => "aws",
            "AWS::Region" => Region,
            "AWS::AccountId" => Account,
            "AWS::StackName" => "controller",
            "AWS::URLSuffix" => "amazonaws.com",
            _ => null,
        };

        /// <summary>A stand-in ARN for an attribute of another resource of the stack (queues, log groups).</summary>
        private string GetAtt(string path)
        {
            var logical = path.Split('.')[0];
            var type = (string?)template["Resources"]?[logical]?["Type"] ?? throw new InvalidOperationException($"GetAtt {path}: no such resource");
            return $"arn:aws:{type.Split("::")[1].ToLowerInvariant()}:{Region}:{Account}:{logical}";
        }

        private string Sub(string text, IReadOnlyDictionary<string, string> variables) =>
            SubVariable().Replace(text, m =>
            {
                var name = m.Groups[1].Value;
                if (name.StartsWith('!'))
                    return "${" + name[1..] + "}";
                if (variables.TryGetValue(name, out var local))
                    return local;
                if (name.Contains('.', StringComparison.Ordinal))
                    return GetAtt(name);
                return Text(Ref(name));
            });

        private static string Text(JsonNode? node) => node is JsonValue v ? v.GetValue<string>() : throw new InvalidOperationException($"expected a string, found {node?.ToJsonString()}");

        private static IEnumerable<string> List(JsonNode? node) => node!.AsArray().Select(Text);

        [GeneratedRegex(@"\$\{([^}]+)\}")]
        private static partial Regex SubVariable();
    }
}
