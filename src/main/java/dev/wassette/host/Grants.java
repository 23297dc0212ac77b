package dev.wassette.host;

import dev.wassette.runtime.WasiConfig;
import java.util.List;
import java.util.Map;

/**
 * What a policy grants, resolved against this host: directories to preopen, environment
 * variables with their values, limits. Produced by {@link PolicyMapping}.
 *
 * @param fuel       per-call CPU budget in fuel units, or -1 for none
 * @param nameLookup whether the guest may resolve names itself ({@code wasi:sockets/ip-name-lookup}):
 *                   only when the policy allows some network access, since a lookup alone can carry
 *                   data out through DNS
 */
public record Grants(List<WasiConfig.Preopen> preopens, Map<String, String> environment, long memoryLimitBytes, long fuel,
                     boolean nameLookup, List<String> notes) {

    public Grants {
        preopens = List.copyOf(preopens);
        environment = Map.copyOf(environment);
        notes = List.copyOf(notes);
    }

    public static Grants none() {
        return new Grants(List.of(), Map.of(), -1, -1, false, List.of());
    }
}
