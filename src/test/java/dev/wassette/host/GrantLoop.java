package dev.wassette.host;

import dev.wassette.policy.PolicyEditor;
import java.nio.file.Path;

/** Child process of {@link ComponentStoreTest}: grants host h0, h1, … to one component until killed. */
public final class GrantLoop {
    public static void main(String[] args) throws Exception {
        ComponentStore store = new ComponentStore(Path.of(args[0]));
        int start = store.policy("victim").networkAllow().size();
        System.out.println("ready");
        System.out.flush();
        for (int i = start; ; i++) {
            int n = i;
            store.update("victim", p -> PolicyEditor.grantNetworkHost(p, "h" + n + ".example.com"));
        }
    }
}
