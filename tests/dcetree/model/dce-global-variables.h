#ifndef DCE_GLOBAL_VARIABLES_H
#define DCE_GLOBAL_VARIABLES_H
struct DceGlobalVariables
{
  void *pstdout;
  void *penvp;
  void *poptarg;
  void *poptind;
};
#endif
