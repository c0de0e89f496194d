using Xunit.Abstractions;
using Xunit.Sdk;

namespace Veil.Stores.Tests.Conformance;

/// <summary>
/// Marks a test class whose store lives outside the test process (a database server): its <see cref="StoreFactAttribute"/>
/// and <see cref="StoreTheoryAttribute"/> tests are skipped, with a reason naming the variable, when the environment
/// variable that locates the server is not set. CI always sets it, so there the tests run.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public sealed class RequiresEnvironmentVariableAttribute(string name, string purpose) : Attribute
{
    /// <summary>Gets the environment variable's name.</summary>
    public string Name { get; } = name;

    /// <summary>Gets what the variable holds, for the skip reason.</summary>
    public string Purpose { get; } = purpose;

    /// <summary>The skip reason for tests of <paramref name="testClass"/>, or null when they can run.</summary>
    internal static string? SkipReasonFor(ITypeInfo testClass)
    {
        foreach (var attribute in testClass.GetCustomAttributes(typeof(RequiresEnvironmentVariableAttribute).AssemblyQualifiedName))
        {
            var arguments = attribute.GetConstructorArguments().Cast<string>().ToArray();
            if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(arguments[0])))
            {
                return $"Environment variable {arguments[0]} is not set ({arguments[1]}); .ci/run sets it.";
            }
        }

        return null;
    }
}

/// <summary>
/// A <see cref="FactAttribute"/> for store tests: it runs like <c>[Fact]</c> unless the test class carries a
/// <see cref="RequiresEnvironmentVariableAttribute"/> whose variable is missing, in which case the test is reported
/// as skipped. (The shared conformance suite uses it, so each derived class decides.)
/// </summary>
[XunitTestCaseDiscoverer("Veil.Stores.Tests.Conformance.StoreFactDiscoverer", "Veil.Stores.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class StoreFactAttribute : FactAttribute;

/// <summary>The <see cref="TheoryAttribute"/> counterpart of <see cref="StoreFactAttribute"/>.</summary>
[XunitTestCaseDiscoverer("Veil.Stores.Tests.Conformance.StoreTheoryDiscoverer", "Veil.Stores.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class StoreTheoryAttribute : TheoryAttribute;

/// <summary>Discovers <see cref="StoreFactAttribute"/> tests.</summary>
public sealed class StoreFactDiscoverer(IMessageSink diagnosticMessageSink) : FactDiscoverer(diagnosticMessageSink)
{
    /// <inheritdoc />
    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute) =>
        RequiresEnvironmentVariableAttribute.SkipReasonFor(testMethod.TestClass.Class) is { } reason
            ? [Skipped(DiagnosticMessageSink, discoveryOptions, testMethod, reason)]
            : base.Discover(discoveryOptions, testMethod, factAttribute);

    internal static IXunitTestCase Skipped(IMessageSink sink, ITestFrameworkDiscoveryOptions options, ITestMethod testMethod, string reason) =>
        new XunitSkippedDataRowTestCase(sink, options.MethodDisplayOrDefault(), options.MethodDisplayOptionsOrDefault(), testMethod, reason);
}

/// <summary>Discovers <see cref="StoreTheoryAttribute"/> tests (one skipped case for the whole theory when the variable is missing).</summary>
public sealed class StoreTheoryDiscoverer(IMessageSink diagnosticMessageSink) : TheoryDiscoverer(diagnosticMessageSink)
{
    /// <inheritdoc />
    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo theoryAttribute) =>
        RequiresEnvironmentVariableAttribute.SkipReasonFor(testMethod.TestClass.Class) is { } reason
            ? [StoreFactDiscoverer.Skipped(DiagnosticMessageSink, discoveryOptions, testMethod, reason)]
            : base.Discover(discoveryOptions, testMethod, theoryAttribute);
}
