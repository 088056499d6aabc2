using Serverless.Kubernetes.Manifests;
using Serverless.Model;

namespace Serverless.Ingress.Tests.Manifests;

public sealed class PodManifestTests
{
    [Fact]
    public void A_Pod_document_is_loaded_with_its_readiness_gates_and_conditions_into_the_snapshot()
    {
        var set = ManifestLoader.LoadText("""
            apiVersion: v1
            kind: Pod
            metadata:
              name: web-1
            spec:
              nodeName: n1
              readinessGates:
                - conditionType: target-health.elbv2.k8s.aws/k8s-default-web-0123456789
              containers:
                - name: app
                  image: web
            status:
              conditions:
                - type: ContainersReady
                  status: "True"
            """);

        Assert.True(set.IsValid, string.Join("\n", set.Errors));
        var pod = Assert.Single(set.Pods);
        Assert.Equal(("default", "web-1"), (pod.Metadata.NamespaceProperty, pod.Metadata.Name));
        Assert.Equal("target-health.elbv2.k8s.aws/k8s-default-web-0123456789", Assert.Single(pod.Spec.ReadinessGates).ConditionType);
        Assert.Empty(set.Skipped);
        var snapshot = set.ToSnapshot(StackId.Explicit("g"), new ClusterSettings { ClusterName = "c", VpcId = "vpc-1" }, new AwsFacts());
        Assert.Same(pod, Assert.Single(snapshot.Pods));
    }
}
