package dev.wassette.policy;

import java.util.List;

/** An invalid policy: every problem found, each as {@code FILE:LINE: message}. */
public final class PolicyException extends Exception {
    private final List<String> problems;

    public PolicyException(List<String> problems) {
        super(String.join("\n", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
