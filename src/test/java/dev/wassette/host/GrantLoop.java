package dev.wassette.host;

import dev.wassette.policy.PolicyEditor;
import java.nio.file.Path;

/** Child process of {@link ComponentStoreTest}: grants host h0, h1, … to one component until killed. */
public final class GrantLoop {
    public static void main(String[] args) throws Exception {
        ComponentStore store = new ComponentStore(Path.of(args[0]));
        int start = store.policy("victim").networkAllow().size();
        // One grant completes before "ready": each round makes progress however slow the machine is,
        // and the kill lands somewhere in the grants after it.
        store.update("victim", p -> PolicyEditor.grantNetworkHost(p, "h" + start + ".example.com"));
        System.out.println("ready");
        System.out.flush();
        for (int i = start + 1; ; i++) {
            int n = i;
            store.update("victim", p -> PolicyEditor.grantNetworkHost(p, "h" + n + ".example.com"));
        }
    }
}
