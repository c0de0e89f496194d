namespace Veil.Testing;

/// <summary>
/// A <see cref="FactAttribute"/> that runs only when <see cref="ConnectionVariable"/> names a PostgreSQL server with
/// pgvector (.ci/run starts one and sets it); otherwise the test is reported as skipped with that reason.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PostgresFactAttribute : FactAttribute
{
    /// <summary>The environment variable holding the Npgsql connection string.</summary>
    public const string ConnectionVariable = "VEIL_PGVECTOR_CONNECTION";

    /// <summary>Skips unless <see cref="ConnectionVariable"/> is set.</summary>
    public PostgresFactAttribute()
    {
        if (string.IsNullOrWhiteSpace(Connection))
        {
            Skip = $"Environment variable {ConnectionVariable} is not set (the Npgsql connection string of a PostgreSQL server with pgvector); .ci/run sets it.";
        }
    }

    /// <summary>The connection string, or null when not set.</summary>
    public static string? Connection => Environment.GetEnvironmentVariable(ConnectionVariable);
}

/// <summary>A <see cref="TheoryAttribute"/> that runs only when <see cref="PostgresFactAttribute.ConnectionVariable"/> is set, as <see cref="PostgresFactAttribute"/>.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PostgresTheoryAttribute : TheoryAttribute
{
    /// <summary>Skips unless <see cref="PostgresFactAttribute.ConnectionVariable"/> is set.</summary>
    public PostgresTheoryAttribute()
    {
        if (string.IsNullOrWhiteSpace(PostgresFactAttribute.Connection))
        {
            Skip = $"Environment variable {PostgresFactAttribute.ConnectionVariable} is not set (the Npgsql connection string of a PostgreSQL server with pgvector); .ci/run sets it.";
        }
    }
}

/// <summary>
/// A <see cref="FactAttribute"/> for tests against a real Redis: skipped, with a reason naming the variable, when
/// <c>VEIL_REDIS_CONNECTION</c> (a StackExchange.Redis configuration string) is not set. <c>.ci/run</c> starts a
/// Redis and sets it, and fails when these tests were skipped all the same.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RedisFactAttribute : FactAttribute
{
    /// <summary>The environment variable holding the Redis configuration string.</summary>
    public const string Variable = "VEIL_REDIS_CONNECTION";

    /// <summary>Skips unless <see cref="Variable"/> is set.</summary>
    public RedisFactAttribute()
    {
        if (string.IsNullOrWhiteSpace(Connection))
        {
            Skip = $"Environment variable {Variable} is not set (a Redis server, such as 127.0.0.1:6379); .ci/run sets it.";
        }
    }

    /// <summary>The configuration string, or null when not set.</summary>
    public static string? Connection => Environment.GetEnvironmentVariable(Variable);
}
