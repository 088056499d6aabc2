using Amazon.EC2;
using Amazon.Runtime;

namespace Serverless.Testing;

/// <summary>
/// Base of a moto test: resets moto before the test (so each test starts from an empty account) and hands out
/// clients pointed at it. Derived classes carry their assembly's moto <c>[Collection]</c>, so they run one at a time.
/// </summary>
public abstract class MotoTest
{
    protected MotoTest(MotoFixture fixture)
    {
        ArgumentNullException.ThrowIfNull(fixture);
        Moto = fixture.Server;
        Moto.Reset();
    }

    protected MotoServer Moto { get; }

    /// <summary>A plain SDK EC2 client (no pipeline of ours) for arranging a test's world.</summary>
    protected AmazonEC2Client Ec2Sdk() => new(
        new BasicAWSCredentials("testing", "testing"),
        new AmazonEC2Config { ServiceURL = Moto.Endpoint, AuthenticationRegion = "us-east-1" });
}
