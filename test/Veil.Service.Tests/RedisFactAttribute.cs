namespace Veil.Service.Tests;

/// <summary>
/// A <see cref="FactAttribute"/> for tests against a real Redis: skipped, with a reason naming the variable, when
/// <c>VEIL_REDIS_CONNECTION</c> (a StackExchange.Redis configuration string) is not set. <c>.ci/run</c> starts a
/// Redis and sets it, and fails when these tests were skipped all the same.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RedisFactAttribute : FactAttribute
{
    public const string Variable = "VEIL_REDIS_CONNECTION";

    public RedisFactAttribute()
    {
        if (string.IsNullOrWhiteSpace(Connection))
        {
            Skip = $"Environment variable {Variable} is not set (a Redis server, such as 127.0.0.1:6379); .ci/run sets it.";
        }
    }

    public static string? Connection => Environment.GetEnvironmentVariable(Variable);
}
