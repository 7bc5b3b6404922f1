// The main() of every xssm-<tool> executable; XSSM_TOOL_ENTRY names the tool's <tool>_main.
int XSSM_TOOL_ENTRY(int argc, char** argv);
int main(int argc, char** argv) { return XSSM_TOOL_ENTRY(argc, argv); }
