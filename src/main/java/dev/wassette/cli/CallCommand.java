package dev.wassette.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wassette.host.Audit;
import dev.wassette.host.CallContext;
import dev.wassette.host.CallPolicy;
import dev.wassette.host.ComponentSandbox;
import dev.wassette.host.ComponentStore;
import dev.wassette.host.EnvFiles;
import dev.wassette.host.HostLog;
import dev.wassette.host.Limits;
import dev.wassette.policy.Policy;
import dev.wassette.policy.PolicyException;
import dev.wassette.policy.PolicyParser;
import dev.wassette.runtime.Component;
import dev.wassette.runtime.Engine;
import dev.wassette.runtime.ExportedFunction;
import dev.wassette.runtime.TrapException;
import dev.wassette.runtime.Val;
import dev.wassette.runtime.WasmtimeException;
import dev.wassette.source.ComponentSource;
import dev.wassette.source.FetchedComponent;
import dev.wassette.source.SourceException;
import dev.wassette.tools.InvalidArgumentException;
import dev.wassette.tools.JsonValues;
import dev.wassette.tools.ToolSchemas;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "call", description = {
    "Calls one exported function and prints its result as JSON.",
    "Without --policy the component gets no files, no environment and no network."})
final class CallCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Parameters(index = "0", paramLabel = "SOURCE", description = "Component (binary .wasm or text .wat): a file, https://… or oci://REGISTRY/REPO:TAG (or @sha256:…).")
    String source;

    @picocli.CommandLine.Mixin
    SourceOptions sources;

    @Parameters(index = "1", paramLabel = "FUNCTION", description = "Export name (name, or interface#name as in my:pkg/tools#greet), or the tool name `inspect` shows (my_pkg_tools_greet).")
    String function;

    @Option(names = "--args", paramLabel = "JSON", defaultValue = "{}", description = "Arguments as a JSON object keyed by parameter name.")
    String args;

    @Option(names = "--policy", paramLabel = "FILE", description = "Capability policy (policy-mcp YAML).")
    Path policyFile;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = Limits.DEFAULT_CALL_TIMEOUT_SECONDS + "s", converter = DurationConverter.class,
            description = "Wall-clock limit of the call (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--max-result-size", paramLabel = "BYTES", defaultValue = "" + Limits.DEFAULT_MAX_RESULT_BYTES,
            description = "Largest result accepted (default: ${DEFAULT-VALUE}); a larger one is an error, and audited.")
    long maxResultBytes;

    @Option(names = "--env", paramLabel = "KEY=VALUE", description = "Environment value offered to the component (still subject to the policy's allow list).")
    Map<String, String> env = new HashMap<>();

    @Option(names = "--env-file", paramLabel = "FILE", description = "KEY=VALUE lines offered to the component (below --env, above the process environment).")
    Path envFile;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        JsonNode argNode;
        try {
            argNode = JSON.readTree(args);
        } catch (JsonProcessingException e) {
            err.println("error: --args is not valid JSON: " + e.getOriginalMessage());
            return WassetteCli.BAD_INPUT;
        }
        Policy policy = Policy.denyAll();
        if (policyFile != null) {
            try {
                policy = PolicyParser.parse(policyFile);
                policy.warnings().forEach(w -> err.println("warning: " + w));
            } catch (PolicyException e) {
                e.problems().forEach(p -> err.println("error: " + p));
                return WassetteCli.BAD_INPUT;
            } catch (IOException e) {
                err.println("error: cannot read policy " + policyFile + ": " + e.getMessage());
                return WassetteCli.BAD_INPUT;
            }
        }
        Map<String, String> environment = new HashMap<>(System.getenv());
        if (envFile != null) {
            try {
                environment.putAll(EnvFiles.read(envFile));
            } catch (IOException e) {
                err.println("error: " + e.getMessage());
                return WassetteCli.BAD_INPUT;
            }
        }
        environment.putAll(env);
        Limits limits;
        try {
            limits = new Limits(timeout, maxResultBytes);
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return WassetteCli.BAD_INPUT;
        }
        CallPolicy callPolicy = CallPolicy.of(policy, Path.of("").toAbsolutePath(), limits);

        ComponentSource from;
        FetchedComponent fetched;
        try {
            from = sources.source(source);
            fetched = sources.fetch(from, err);
        } catch (IllegalArgumentException | SourceException e) {
            err.println("error: " + e.getMessage());
            return WassetteCli.BAD_INPUT;
        } catch (IOException e) {
            err.println("error: " + source + ": " + e.getMessage());
            return WassetteCli.BAD_INPUT;
        }
        String file = from.label();
        try (Engine engine = Engines.create()) {
            Component component;
            try {
                component = engine.compile(fetched.bytes());
            } catch (WasmtimeException e) {
                err.println("error: " + file + ": " + e.getMessage());
                return WassetteCli.BAD_INPUT;
            }
            ExportedFunction target;
            try {
                target = target(component);
            } catch (IllegalArgumentException e) {
                component.close();
                err.println("error: " + file + " " + e.getMessage());
                return WassetteCli.BAD_INPUT;
            }
            ComponentSandbox linked;
            try {
                String id = ComponentStore.idFor(from.suggestedName());
                linked = new ComponentSandbox(id, engine, component, Map.of(HostLog.INTERFACE, new HostLog(Map.of()).functions()), new Audit());
            } catch (WasmtimeException e) {
                component.close();
                err.println("error: " + file + ": " + e.getMessage());
                return WassetteCli.BAD_INPUT;
            }
            try (ComponentSandbox sandbox = linked) {
                List<Val> values = JsonValues.arguments(argNode, target.type());
                // The same call path as the server's: grants, egress, limits, the result cap and the audit.
                Val result = sandbox.call(target, values, callPolicy, environment::get, new CallContext());
                if (result != null) {
                    out.println(JSON.writeValueAsString(JsonValues.toJson(result)));
                    out.flush();
                }
                return WassetteCli.OK;
            } catch (InvalidArgumentException | WasmtimeException e) {
                return Failures.report(err, e, target.qualifiedName());
            } catch (JsonProcessingException e) {
                err.println("error: cannot print result: " + e.getMessage());
                return WassetteCli.GUEST_FAILED;
            }
        }
    }

    /** The function named by its export name (interface#name) or, failing that, by its tool name. */
    private ExportedFunction target(Component component) {
        return ToolSchemas.resolve(component.exports(), function);
    }
}
