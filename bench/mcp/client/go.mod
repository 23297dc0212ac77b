module wassette.dev/bench/mcpbench

go 1.26
